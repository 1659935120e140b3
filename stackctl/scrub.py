"""Free text made safe to show: no credential, no control code, no broken character.

`stackctl report` puts text it does not control into a merge request note and into its errors:
provider diagnostics, policy messages, property values, resource names, import ids, replace
reasons, property paths, and the reason an input could not be read. Every such string goes
through `scrub` (or `clip`, which also bounds its length) and nothing else, so one set of rules
decides what is a credential everywhere: here.

What is removed first, because it can hide a credential from the patterns or break the note:
Pulumi's colour directives (`<{%fg 3%}>`, `<{%reset%}>`: pulumi/pulumi
sdk/go/common/diag/colors/colors.go, `colorLeft`/`colorRight`), ANSI escape sequences, other
control characters (NUL included) and invisible format characters (zero-width spaces, bidi
overrides). A lone surrogate (JSON allows `"\\ud800"`, UTF-8 cannot encode it) becomes U+FFFD.

Then what is shaped like a credential becomes `[secret]` (`contract.SECRET`):
- GitLab tokens by the prefixes GitLab documents ("Token prefixes", gitlabhq/gitlabhq
  doc/security/tokens/_index.md), wherever they start (`TOKEN_glpat-…` and instance prefixes
  such as `SIE-glpat-…` included), with the `.`-separated parts of the newer routable format;
  runner registration tokens (`GR1348941…`) and `_gitlab_session=` cookies;
- Docker Hub personal and organisation access tokens, `dckr_pat_…`, `dckr_oat_…` (docker/docs
  content/reference/api/ai-governance/api.yaml, the credential types table);
- Google OAuth access (`ya29.`) and refresh (`1//`) tokens, API keys (`AIza`), OAuth client
  secrets (`GOCSPX-`), PEM private keys (a service account key's `private_key`);
- `Bearer …`/`Basic …` credentials, `PRIVATE-TOKEN:` headers, token and password query
  parameters;
- the user information of a URL (`https://user:password@host`), whatever the scheme's case,
  a password holding `/` or `@`, and the percent-encoded form (`https%3A%2F%2Fu%3Ap%40host`).

A secret the caller knows (the note token read from the environment, which may carry an
instance's own prefix) is passed as `known` and hidden whatever its shape.

The rules are anchored on those shapes, never on entropy or on words like "token", so that a
resource named `mirror-token`, an import id, a replace reason or a property path
(`template.containers[0].envs[1].value`) is left as it is: a reviewer needs them verbatim.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from typing import Final

from contract import SECRET

GITLAB_TOKEN_PREFIXES: Final = (
    "glpat",  # personal, impersonation, project and group access tokens
    "gloas",  # OAuth application secrets
    "gldt",  # deploy tokens
    "glrt",  # runner authentication tokens
    "glrtr",  # runner authentication tokens created by a registration token
    "glcbt",  # CI/CD job tokens
    "glptt",  # pipeline trigger tokens
    "glft",  # feed tokens
    "glimt",  # incoming mail tokens
    "glagent",  # GitLab agent for Kubernetes tokens
    "glwt",  # workspace tokens
    "glsoat",  # SCIM tokens
    "glffct",  # feature flags client tokens
)

_HIDING = re.compile(
    r"<\{%[^%\n]{0,64}%\}>"  # Pulumi colour directives
    r"|\x1b\[[0-?]{0,64}[ -/]{0,8}[@-~]"  # ANSI CSI sequences (colours, cursor moves)
    r"|\x1b\][^\x07\x1b]{0,1024}(?:\x07|\x1b\\)?"  # ANSI OSC sequences (titles, links)
    r"|\x1b[@-_]?"  # other escapes
    "|[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\ufeff]"
)
"""What is dropped before anything else: codes that colour, move or hide text. A tab and a
newline stay; a carriage return goes (a message cannot overwrite its own line)."""
_SURROGATE = re.compile("[\ud800-\udfff]")

_TOKEN_BODY = r"[A-Za-z0-9_\-.]"  # noqa: S105 (a character class)
_CREDENTIALS: Final = (
    re.compile(
        rf"(?i)(?:{'|'.join(sorted(GITLAB_TOKEN_PREFIXES, key=len, reverse=True))})-"
        rf"{_TOKEN_BODY}{{16,}}"
    ),
    re.compile(r"GR1348941[A-Za-z0-9_\-]{16,}"),
    re.compile(r"(?i)_gitlab_session=[A-Za-z0-9%]{8,}"),
    re.compile(r"(?i)dckr_(?:pat|oat)_[A-Za-z0-9_\-]{8,}"),
    re.compile(r"ya29\.[A-Za-z0-9_\-.]{16,}"),
    re.compile(r"1//0[A-Za-z0-9_\-]{20,}"),
    re.compile(r"AIza[A-Za-z0-9_\-]{30,}"),
    re.compile(r"GOCSPX-[A-Za-z0-9_\-]{16,}"),
    re.compile(
        r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----"
        r".*?(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----|\Z)",
        re.S,
    ),
    re.compile(r"(?i)\b(?:bearer|basic)\s+[A-Za-z0-9_\-.=+/~]{16,}"),
    re.compile(r"(?i)\bprivate-token\s*[:=]\s*\S+"),
    re.compile(
        r"(?i)(?<=[?&;])(?:access_token|private_token|token|password|passwd|client_secret)="
        r"[^&\s\"'<>#]+"
    ),
)

_SCHEME = re.compile(r"(?i)(?<![a-z0-9+.\-])[a-z][a-z0-9+.\-]{0,31}(?:://|%3a%2f%2f)")
_AT = re.compile(r"(?i)@|%40")
_HOST = re.compile(
    r"(?i)\[[0-9a-f:.]+\]|localhost\b|[a-z0-9][a-z0-9\-]{0,62}(?:\.[a-z0-9\-]{1,63})+"
)
_STOP = re.compile(r"[\s\"'<>]")
_COLON = re.compile(r"(?i):|%3a")
USERINFO_REACH: Final = 512
"""The longest `user:password` looked for before an `@`."""


def _without_userinfo(text: str) -> str:
    """Each URL's user information replaced by `[secret]`.

    Found from each `@` (or `%40`) that a host follows, back to the first scheme after the
    last space or quote before it: so a password holding `/`, `@` or `://` is hidden whole
    (up to the last `@` that a host follows); the schemes and stops are found in one pass
    each, so the work grows with the text, whatever its shape. What lies between must be
    `user:password` (the user without `/`) or a bare user without `/` (a token as the user
    name): a path segment such as npm's `/@gitlab-org/...` is not user information."""
    schemes = [(m.start(), m.end()) for m in _SCHEME.finditer(text)]
    if not schemes:
        return text
    starts = [start for start, _ in schemes]
    stops = [m.end() for m in _STOP.finditer(text)]
    spans: dict[int, int] = {}
    for at in _AT.finditer(text):
        if not _HOST.match(text, at.end()):
            continue
        stop = bisect_right(stops, at.start()) - 1
        low = max(at.start() - USERINFO_REACH, stops[stop] if stop >= 0 else 0)
        index = bisect_left(starts, low)
        if index == len(schemes) or schemes[index][1] > at.start():
            continue
        begin = schemes[index][1]
        userinfo = text[begin : at.start()]
        colon = _COLON.search(userinfo)
        user = userinfo[: colon.start()] if colon else userinfo
        if userinfo and "/" not in user:
            spans[begin] = at.start()
    if not spans:
        return text
    parts, done = [], 0
    for start, end in sorted(spans.items()):
        if start < done:
            continue
        parts += [text[done:start], SECRET]
        done = end
    return "".join([*parts, text[done:]])


MIN_KNOWN: Final = 4
"""A known secret shorter than this is not searched for: it would hide ordinary words."""
CLIP_MARGIN: Final = 4096
"""How far past a cut `clip` still scrubs: longer than any credential above but a private
key (which is matched to the end of the text when its end is missing), so a credential that
straddles the cut is found whole before the cut is made."""


def scrub(text: str, known: Iterable[str] = ()) -> str:
    """`text` without control codes, with every credential-shaped part, and each of the
    `known` secret values (a token read from the environment, whatever its shape), replaced
    by `[secret]`."""
    for value in known:
        if len(value) >= MIN_KNOWN:
            text = text.replace(value, SECRET)
    text = _SURROGATE.sub("\ufffd", _HIDING.sub("", text))
    text = _without_userinfo(text)
    for pattern in _CREDENTIALS:
        text = pattern.sub(SECRET, text)
    return text


def clip(text: str, limit: int, known: Iterable[str] = ()) -> str:
    """`scrub(text)` of at most about `limit` characters; a longer text is cut, saying so.

    The scrubbing happens before the cut (over a margin past it), so a cut never leaves the
    head of a credential behind; and only the head is scrubbed, so a huge text costs no more
    than a short one."""
    head = scrub(text[: limit + CLIP_MARGIN], known)
    if len(text) <= limit + CLIP_MARGIN and len(head) <= limit:
        return head
    return f"{head[:limit]}… [cut: {len(text):,} characters in all]"


def one_line(text: str, limit: int) -> str:
    """`clip(text, limit)` on one line: for names, paths and values inside a line of Markdown."""
    return clip(text, limit).replace("\n", " ")
