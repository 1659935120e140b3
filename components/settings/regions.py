"""The Google Cloud regions a fleet may run in, and the rule for a list of them."""

from __future__ import annotations

import difflib
from typing import Annotated

from pydantic import AfterValidator

CLOUD_RUN_REGIONS = frozenset(
    {
        "africa-south1",
        "asia-east1",
        "asia-east2",
        "asia-northeast1",
        "asia-northeast2",
        "asia-northeast3",
        "asia-south1",
        "asia-south2",
        "asia-southeast1",
        "asia-southeast2",
        "australia-southeast1",
        "australia-southeast2",
        "europe-central2",
        "europe-north1",
        "europe-north2",
        "europe-southwest1",
        "europe-west1",
        "europe-west2",
        "europe-west3",
        "europe-west4",
        "europe-west6",
        "europe-west8",
        "europe-west9",
        "europe-west10",
        "europe-west12",
        "me-central1",
        "me-central2",
        "me-west1",
        "northamerica-northeast1",
        "northamerica-northeast2",
        "northamerica-south1",
        "southamerica-east1",
        "southamerica-west1",
        "us-central1",
        "us-east1",
        "us-east4",
        "us-east5",
        "us-south1",
        "us-west1",
        "us-west2",
        "us-west3",
        "us-west4",
    }
)
"""Regions where Cloud Run (and Artifact Registry) run services, late 2026. A region missing
here is rejected; add it when Google opens it."""


def _region(value: str) -> str:
    if value not in CLOUD_RUN_REGIONS:
        close = difflib.get_close_matches(value, sorted(CLOUD_RUN_REGIONS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            "is not a Cloud Run region (see CLOUD_RUN_REGIONS in components/settings/regions.py)"
            + hint
        )
    return value


def _unique_regions(value: list[str]) -> list[str]:
    if not value:
        raise ValueError("must name at least one region")
    repeated = sorted({r for r in value if value.count(r) > 1})
    if repeated:
        raise ValueError(
            f"names {', '.join(repeated)} more than once: a region holds one service per fleet"
        )
    return value


Region = Annotated[str, AfterValidator(_region)]
Regions = Annotated[list[Region], AfterValidator(_unique_regions)]
