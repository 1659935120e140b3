"""How a settings problem is reported: one line per problem, with its key, the value where it
is safe to show, and the rule; and the error that carries them all.

A value is shown only where its key is known to hold no secret *and* the value does not
look like a credential: a token pasted into the wrong key (a description, a user name) is
still a token, and an error message ends up in CI logs. Everything else is `[secret]`.
Userinfo is cut from every URL shown (`https://user:pass@host` -> `https://host`), and the
rule text is scrubbed the same way, since some rules quote a neighbouring value.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Collection
from typing import Any

import pulumi
from pydantic import BaseModel
from pydantic.alias_generators import to_camel

from components.settings.base import PROJECT
from contract import SECRET

TOKEN_PREFIXES = (
    # GitLab's token prefixes (https://docs.gitlab.com/security/tokens/#token-prefixes);
    # an instance prefix may precede them (`SIE-glpat-`), so they are looked for anywhere.
    "glpat-",
    "gloas-",
    "gldt-",
    "glrt-",
    "glrtr-",
    "glcbt-",
    "glptt-",
    "glft-",
    "glimt-",
    "glagent-",
    "glsoat-",
    "glffct-",
    "gltst-",
    "glwt-",
    "GR1348941",
    # Docker personal and organization access tokens
    # (https://docs.docker.com/security/access-tokens/, .../for-admins/access-tokens/).
    "dckr_pat_",
    "dckr_oat_",
    # Google OAuth 2.0 access tokens (https://cloud.google.com/docs/authentication/token-types).
    "ya29.",
    # PEM private keys and certificates.
    "-----BEGIN",
)
"""What only a credential starts with: a value holding one is refused in any plain key."""
CREDENTIAL_MARKERS = (*TOKEN_PREFIXES, "PRIVATE KEY")
"""What a value is never shown with (the BEGIN line of a key may have lost its dashes)."""
_RUN = re.compile(r"[A-Za-z0-9+/=_.~-]{20,}")
ENTROPY_MIN = 3.5
"""Bits per character from which a long run of mixed-case letters and digits reads as
random: generated tokens have 5 to 6, the names and paths of this config at most about 4
and never all three character classes over twenty characters."""


def _high_entropy(run: str) -> bool:
    classes = (
        any(c.islower() for c in run)
        and any(c.isupper() for c in run)
        and any(c.isdigit() for c in run)
    )
    if not classes:
        return False
    counts = Counter(run)
    entropy = -sum(n / len(run) * math.log2(n / len(run)) for n in counts.values())
    return entropy >= ENTROPY_MIN


def looks_like_credential(text: str) -> bool:
    """Whether `text` contains what is shaped like a token or key, wherever it was found."""
    if any(marker in text for marker in CREDENTIAL_MARKERS):
        return True
    return any(_high_entropy(run) for run in _RUN.findall(text))


_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s\"'@]*@")


def without_userinfo(text: str) -> str:
    """`https://user:pass@host/x` -> `https://host/x`, wherever a URL sits in `text`."""
    return _USERINFO.sub(r"\1", text)


SHOWN_MAX = 80


def shown(value: Any, secret: bool = False) -> str:
    """How a value appears in a problem: `[secret]` unless it is safe to show, a structured
    value never in full (it may hold anything), long values cut."""
    if secret or value == SECRET:
        return SECRET
    if isinstance(value, dict):
        return "{...}"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    if looks_like_credential(text):
        return SECRET
    text = without_userinfo(text)
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 3] + "..."


def scrubbed(text: str) -> str:
    """A rule's text with any credential-shaped word replaced and URLs without userinfo."""
    text = without_userinfo(text)
    for word in set(re.findall(r"[^\s'\"(),;]+", text)):
        if looks_like_credential(word):
            text = text.replace(word, SECRET)
    return text


def line(top: str, path: str, value: Any, rule: str, *, secret: bool = False) -> str:
    """One problem: `  - aigw-delivery:<key><path> = <value>: <rule>` (no value if None)."""
    value_part = "" if value is None else f" = {shown(value, secret)}"
    key = f"{top}{path}"
    if looks_like_credential(key):  # a token pasted as a key name (`-c glpat-...=1`)
        key = SECRET
    return f"  - {PROJECT}:{key}{value_part}: {scrubbed(rule)}"


def environment_line(name: str, value: str | None, rule: str, *, secret: bool = False) -> str:
    """One problem with a variable of the environment of `pulumi up` (not config)."""
    value_part = "" if value is None else f" = {shown(value, secret)}"
    return f"  - {name} (environment){value_part}: {scrubbed(rule)}"


class SettingsError(pulumi.RunError):
    """The stack's config is invalid. A `RunError`, so the CLI prints it without a traceback."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"invalid configuration for {PROJECT} ({count}):\n" + "\n".join(problems))


# --- pydantic's errors as problems -----------------------------------------------------------


def describe(error: Any, secret: Collection[str], root: type[BaseModel]) -> list[str]:
    """The problem lines of one pydantic error of the root model `root`; keys in `secret`
    never show a value, nor do the free-form values that may hold one (`possibly_secret`)."""
    kind = error["type"]
    if kind == "cross_reference":
        return [
            line(
                str(loc[0]),
                _path(loc[1:]),
                value,
                rule,
                secret=loc[0] in secret or possibly_secret(loc),
            )
            for loc, value, rule in error["ctx"]["problems"]
        ]
    loc = tuple(error["loc"])
    top = str(loc[0]) if loc else ""
    path = _path(loc[1:])
    if kind == "missing":
        return [line(top, path, None, "is required but not set")]
    if kind == "extra_forbidden":
        known = ", ".join(_known_keys(root, loc[:-1]))
        return [line(top, path, None, f"is not a known setting (known here: {known})")]
    message = str(error["msg"]).removeprefix("Value error, ")
    return [
        line(top, path, error.get("input"), message, secret=top in secret or possibly_secret(loc))
    ]


def possibly_secret(loc: tuple[Any, ...]) -> bool:
    """Free-form values a secret could have been pasted into in plain text: a fleet's
    environment (`fleets.<id>.env...`). Their values are never shown, whatever they look
    like."""
    return len(loc) >= 3 and loc[0] == "fleets" and loc[2] == "env"


def _path(parts: tuple[Any, ...]) -> str:
    """`('deployments', 'ai-gateway', 'pull_from')` -> `.deployments.ai-gateway.pullFrom`; a
    mapping key that fails its rule is named by itself (pydantic adds a `[key]` part)."""
    shown_parts = []
    for i, part in enumerate(parts):
        if part == "[key]":
            continue
        if isinstance(part, int):
            shown_parts.append(f"[{part}]")
        elif i + 1 < len(parts) and parts[i + 1] == "[key]":
            shown_parts.append(f".{part}")
        else:
            shown_parts.append(f".{_alias(part)}")
    return "".join(shown_parts)


def _alias(part: str) -> str:
    """Pydantic names a defaulted field by its Python name; the config key is camelCase."""
    return to_camel(part) if re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", part) else part


def _known_keys(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    annotation: Any = root
    key_next = False
    for part in loc:
        if isinstance(part, int) or key_next:
            key_next = False
            continue
        model = model_in(annotation)
        field = None
        if model is not None:
            field = next(
                (f for n, f in model.model_fields.items() if f.alias == part or n == part), None
            )
        if field is None:
            return []
        annotation = field.annotation
        key_next = _is_mapping(annotation)
    model = model_in(annotation)
    return sorted(f.alias or n for n, f in model.model_fields.items()) if model else []


def _is_mapping(annotation: Any) -> bool:
    """A `dict[...]` field (possibly optional): its next path part is a key, not a field."""
    if getattr(annotation, "__origin__", None) is dict:
        return True
    return any(_is_mapping(a) for a in getattr(annotation, "__args__", ()) if a is not type(None))


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field's annotation holds (through Optional, dict and list), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = model_in(arg)
        if found is not None:
            return found
    return None
