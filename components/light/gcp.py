"""The base of `pulumi_gcp`'s light classes (components/light/__init__.py)."""

from __future__ import annotations

from components.light import LightResource

PACKAGE = "pulumi_gcp"

LABELLED_SECRETS = ("effectiveLabels", "pulumiLabels")
"""The `additional_secret_outputs` pulumi-gcp 10.2 gives every labelled resource."""


class GcpResource(LightResource):
    PACKAGE = PACKAGE
