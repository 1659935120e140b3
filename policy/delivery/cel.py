"""Which GitLab projects a Workload Identity Federation attribute condition admits.

The provider's `attributeCondition` is a CEL expression over the OIDC token GitLab signs
(`assertion.project_path`, `assertion.ref_protected`, ...). The question a reviewer asks is
"which projects' pipelines can use this provider?", and the answer is only trustworthy when
the condition *requires* the project path to equal named paths. This module works that out
conservatively from the expression's structure:

- `P == "a/b"`, `"a/b" == P` and `P in ["a/b", "c/d"]` (P being `assertion.project_path` or
  `attribute.project_path`) admit exactly those paths;
- `X && Y` admits what both admit: it is restricted if either side is;
- `X || Y` is restricted only if both sides are (the union of what they admit);
- anything else (`startsWith`, `matches`, `!=`, negation, the `sub` claim, ...) is treated as
  admitting every project.

So `assertion.project_path in ["a/b"] && assertion.ref_protected == "true"` names `a/b`, while
`assertion.project_path == "a/b" || assertion.namespace_path == "gitlab-com"` names nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>&&|\|\||==|!=|<=|>=|[()\[\],!<>+\-*/%?:{}])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
      | (?P<number>\d+(?:\.\d+)?)
      | (?P<other>\S)
    )""",
    re.VERBOSE,
)
_OPENING = frozenset({"(", "["})
_CLOSING = frozenset({")", "]"})
PROJECT_PATH_CLAIMS = frozenset({"assertion.project_path", "attribute.project_path"})


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str

    @property
    def literal(self) -> str:
        return re.sub(r"\\(.)", r"\1", self.text[1:-1])


def admitted_project_paths(condition: str) -> frozenset[str] | None:
    """The project paths `condition` restricts pipelines to, or None if it does not."""
    tokens = _tokenize(condition)
    return _restrict(tokens) if tokens else None


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind is None:
            continue
        tokens.append(_Token(kind, match.group(kind)))
    return tokens


def _restrict(tokens: list[_Token]) -> frozenset[str] | None:
    tokens = _unwrap(tokens)
    alternatives = _split(tokens, "||")
    if len(alternatives) > 1:
        admitted = [_restrict(part) for part in alternatives]
        if any(paths is None for paths in admitted):
            return None
        return frozenset().union(*(p for p in admitted if p is not None))
    conjuncts = _split(tokens, "&&")
    if len(conjuncts) > 1:
        restricting = [p for p in (_restrict(part) for part in conjuncts) if p is not None]
        if not restricting:
            return None
        return frozenset.intersection(*restricting)
    return _comparison(tokens)


def _comparison(tokens: list[_Token]) -> frozenset[str] | None:
    texts = [t.text for t in tokens]
    if len(tokens) == 3 and texts[1] == "==":
        left, right = tokens[0], tokens[2]
        for claim, value in ((left, right), (right, left)):
            if claim.text in PROJECT_PATH_CLAIMS and value.kind == "string":
                return frozenset({value.literal})
        return None
    if (
        len(tokens) >= 5
        and tokens[0].text in PROJECT_PATH_CLAIMS
        and texts[1:3] == ["in", "["]
        and texts[-1] == "]"
    ):
        items = tokens[3:-1]
        values = items[0::2]
        commas = items[1::2]
        if (
            values
            and all(v.kind == "string" for v in values)
            and all(c.text == "," for c in commas)
        ):
            return frozenset(v.literal for v in values)
    return None


def _unwrap(tokens: list[_Token]) -> list[_Token]:
    """Drop parentheses that enclose the whole expression."""
    while len(tokens) >= 2 and tokens[0].text == "(" and tokens[-1].text == ")":
        depth = 0
        for index, token in enumerate(tokens):
            depth += (token.text in _OPENING) - (token.text in _CLOSING)
            if depth == 0 and index < len(tokens) - 1:
                return tokens  # the first parenthesis closes before the end: "(a) && (b)"
        tokens = tokens[1:-1]
    return tokens


def _split(tokens: list[_Token], operator: str) -> list[list[_Token]]:
    """Split on `operator` outside parentheses and brackets."""
    parts: list[list[_Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.text in _OPENING:
            depth += 1
        elif token.text in _CLOSING:
            depth -= 1
        if depth == 0 and token.kind == "op" and token.text == operator:
            parts.append([])
        else:
            parts[-1].append(token)
    return parts
