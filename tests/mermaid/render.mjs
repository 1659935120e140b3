// Render several Mermaid diagrams in one headless Chromium, each on its own page, and say
// for each whether Mermaid drew it or refused it.
//
//   node render.mjs PUPPETEER.json MERMAID.json OUT_DIR NAME=FILE.mmd...
//
// writes OUT_DIR/NAME.svg for each diagram Mermaid draws and OUT_DIR/NAME.error (the error
// Mermaid raised: a parse error names the line) for each it refuses; exits 0 unless the
// browser itself cannot start or a file cannot be read or written.
//
// Why not `mmdc`: one `mmdc` run starts one browser, and a Markdown input with several
// diagrams fails as a whole when one of them does not parse (mermaid-cli src/index.js, `run`:
// `Promise.all` over the diagrams), so a diagram that must fail needed a second browser. This
// calls the function `mmdc` calls for every diagram, `renderMermaid(browser, definition,
// format, options)` (exported by mermaid-cli src/index.js; its Node API, which the version
// pinned in package-lock.json fixes), with the options `mmdc` passes it when given only `-p`,
// `-c` and `-e svg` (src/index.js, `cli`): the `default` theme under the config file's keys,
// `headless: 'shell'` under the puppeteer file's, a white background, an 800 x 600 viewport
// at scale 1.

import fs from 'node:fs'
import path from 'node:path'
import puppeteer from 'puppeteer'
import { renderMermaid } from '@mermaid-js/mermaid-cli'

const [puppeteerFile, mermaidFile, outDir, ...diagrams] = process.argv.slice(2)
if (!outDir || diagrams.length === 0) {
  console.error('usage: node render.mjs PUPPETEER.json MERMAID.json OUT_DIR NAME=FILE...')
  process.exit(2)
}

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf-8'))
const mermaidConfig = { theme: 'default', ...readJson(mermaidFile) }
const puppeteerConfig = { headless: 'shell', ...readJson(puppeteerFile) }
const options = {
  mermaidConfig,
  backgroundColor: 'white',
  viewport: { width: 800, height: 600, deviceScaleFactor: 1 },
  iconPacks: [],
  iconPacksNamesAndUrls: []
}

const browser = await puppeteer.launch(puppeteerConfig)
try {
  await Promise.all(diagrams.map(async (spec) => {
    const at = spec.indexOf('=')
    const name = spec.slice(0, at)
    const definition = fs.readFileSync(spec.slice(at + 1), 'utf-8')
    try {
      const { data } = await renderMermaid(browser, definition, 'svg', options)
      fs.writeFileSync(path.join(outDir, `${name}.svg`), data)
    } catch (err) {
      fs.writeFileSync(path.join(outDir, `${name}.error`), String(err?.stack ?? err))
    }
  }))
} finally {
  await browser.close()
}
