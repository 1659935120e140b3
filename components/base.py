"""What every part of the delivery diagram has in common as a Pulumi component."""

from __future__ import annotations

from typing import Any

import pulumi

from contract import Component, child_name


class DeliveryComponent(pulumi.ComponentResource):
    """A part of the delivery diagram: type token `aigw:delivery:<Kind>`, children named
    `<name>-<part>` under it, so a reviewer finds each part of the diagram in the graph."""

    def __init__(self, kind: str, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(Component.PREFIX + kind, name, None, opts)
        self.component_name = name

    def child(self, part: str) -> str:
        """The logical name of a child: derived from stable keys, never list positions."""
        return child_name(self.component_name, part)

    def child_opts(self, **options: Any) -> pulumi.ResourceOptions:
        """Options for a child; `parent=self` always wins over what the caller passes."""
        return pulumi.ResourceOptions(**{**options, "parent": self})
