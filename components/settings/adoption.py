"""`adoption`: the live changes a stack's first `pulumi up` may make to what it adopts.

Since pulumi/pulumi#19339 (v3.174.0) an `import` whose inputs differ from the live resource
no longer fails: the engine imports it and then updates it in the same run. Every such
change is a change to something that serves users today, so the prod apply gate (`python -m
stackctl gate`, stackctl/gate.py) refuses it unless the property is accepted here by name:

```yaml
aigw-delivery:adoption:
  accept:
    security-project: [description]           # the resource's logical name: property paths
    aigw-europe-west2: ['labels["part"]']
```

A path is the preview's own (`detailedDiff` keys: `description`, `template.scaling`,
`labels["a.b"]`, `env[0].value`), and accepts itself and everything under it. The program
itself reads nothing of this key: it is validated with the rest of the config so that a
typo fails every run, not only the gate.
"""

from __future__ import annotations

import re
from typing import Annotated, Final

from pydantic import AfterValidator, Field

from components.settings.base import Model

NAME_MAX: Final = 200
"""A logical name is short (the stack's longest is a few dozen characters); a longer key is
a paste, not a name."""
PATH_MAX: Final = 1000
"""As `stackctl.properties.PATH_MAX`: the longest path the note and the gate look up."""
_SEGMENT = r'(?:[A-Za-z_$][A-Za-z0-9_$-]*|\[[0-9]+\]|\["(?:[^"\\]|\\.)*"\])'
_PATH = re.compile(rf"(?:[A-Za-z_$][A-Za-z0-9_$-]*|\[\"(?:[^\"\\]|\\.)*\"\])(?:\.?{_SEGMENT})*")
"""Pulumi's property path syntax (`resource.ParsePropertyPath`, sdk/go/common/resource/
property_path.go): names joined by `.`, `[n]` indices, `["quoted keys"]`."""
_NAME = re.compile(r"[^\x00-\x1f\x7f:]{1,200}")
"""A Pulumi resource name: any text, but not `::` (URN separator); no control characters."""


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(
            f"must be a resource's logical name, as the preview shows it: 1 to {NAME_MAX} "
            "characters, no ':' and no control characters"
        )
    return value


def _path(value: str) -> str:
    if len(value) > PATH_MAX or not _PATH.fullmatch(value):
        raise ValueError(
            "must be a property path as the preview's detailedDiff spells it (description, "
            'template.scaling, labels["a.b"], env[0].value)'
        )
    return value


ResourceName = Annotated[str, AfterValidator(_name)]
PropertyPath = Annotated[str, AfterValidator(_path)]


class AdoptionSettings(Model):
    """Per adopted resource (its logical name), the property paths whose live change the
    apply gate accepts."""

    accept: dict[ResourceName, Annotated[list[PropertyPath], Field(min_length=1)]] = Field(
        default_factory=dict
    )
