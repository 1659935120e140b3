"""Reading resource properties as a preview presents them, and reading policy config.

During `pulumi preview` some inputs are not known yet: the id of a project that does not exist,
a token not yet minted, a URL built from that token. The policy SDK hands a policy its
properties through a proxy that raises `UnknownValueError` when such a value is read; the
analyzer then reports, as an *advisory* note, that the policy "can't run during preview", and
keeps every violation the policy reported before the read (pulumi_policy 1.21,
`_PolicyAnalyzerServicer.Analyze`/`AnalyzeStack`).

A policy that checks several properties, or a stack policy that checks many resources, should
not lose all of its judgement to one unknown. `Reader.get` reads a property; on an unknown it
returns `UNKNOWN` and remembers the error. The policy judges everything that is known and
then calls `Reader.finish()`, which re-raises the first unknown so that the analyzer still
notes what could not be checked. An unknown is thus never a violation, and never silently a
pass. `UNKNOWN` refuses to be used as a truth value, so a forgotten check fails loudly in tests
instead of passing quietly in a preview.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from pulumi_policy import PolicyConfigSchema, ResourceValidationArgs, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError, _is_unknown


class _Unknown:
    """A value that cannot be known until the update runs."""

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("an unknown value has no truth value: compare it with UNKNOWN first")


UNKNOWN: Final = _Unknown()


class Reader:
    """Reads properties without letting one unknown abort the whole policy."""

    def __init__(self) -> None:
        self._unknown: UnknownValueError | None = None

    def get(self, value: Any, *path: str | int, default: Any = None) -> Any:
        """`value[path[0]][path[1]]...`; `default` where a key or index is absent."""
        walked: list[str] = []
        for key in path:
            walked.append(str(key))
            if value is UNKNOWN:
                return UNKNOWN
            if isinstance(key, int):
                if not _is_list(value) or not -len(value) <= key < len(value):
                    return default
            elif not isinstance(value, Mapping):
                return default
            try:
                value = value[key]
            except KeyError:
                return default
            except UnknownValueError as err:
                return self._remember(err)
            if _is_unknown(value):  # hand-built properties, not behind the SDK's proxy
                return self._remember(UnknownValueError(value, walked))
        return value

    def elements(self, value: Any) -> list[Any]:
        """The items of a list property (each unknown item as `UNKNOWN`); [] if not a list."""
        if value is UNKNOWN or not _is_list(value):
            return []
        return [self.get(value, index) for index in range(len(value))]

    def finish(self) -> None:
        """Let the analyzer know that part of this policy could not run during preview."""
        if self._unknown is not None:
            raise self._unknown

    def _remember(self, err: UnknownValueError) -> _Unknown:
        if self._unknown is None:
            self._unknown = err
        return UNKNOWN


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def keys(props: Mapping[str, Any]) -> set[str]:
    """The property names, without reading (and so without tripping on) unknown values."""
    return set(iter(props))


def setting(
    args: ResourceValidationArgs | StackValidationArgs, schema: PolicyConfigSchema, key: str
) -> Any:
    """A policy config value, or the default its schema declares.

    The Pulumi CLI fills schema defaults in before it configures the pack; a policy called
    directly (tests, hand-built args) gets no config, so the default is read from the same
    schema: one declaration of each default.
    """
    config = args.get_config()
    if key in config:
        return config[key]
    return schema.properties[key]["default"]


def show(value: Any) -> str:
    """A non-secret property value for a message: quoted, or `unset`."""
    if value is None:
        return "unset"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value).lower() if isinstance(value, bool) else str(value)
