"""No `pulumi up` sends a service an image other than the one it runs (components/fleet.py).

The live service is the offline engine's answer to the Cloud Run data source; each test
sets what "runs" there and reads the input the engine would send."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from components.settings import PLACEHOLDER_DIGEST, SettingsError, parse_settings
from contract import CLOUD_RUN_DEPLOY_OWNED, Gcp
from stackctl import fakes
from stackctl.engine import Graph, evaluate
from tests.conftest import stack_config

B = "sha256:" + "b" * 64
RUNNING_B = (
    "{region}-docker.pkg.dev/gitlab-runway-production/gitlab-security/deployed/model-gateway@" + B
)


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch) -> list[Mapping[str, Any]]:
    """Cloud Run answers that the AI Gateway runs image B (deployed after the stack's last
    run); every lookup the program makes is recorded."""
    asked: list[Mapping[str, Any]] = []
    real = fakes.FAKE_INVOKES[Gcp.GET_SERVICE]

    def answer(args: Mapping[str, Any]) -> dict[str, Any]:
        asked.append(dict(args))
        found = real(args)
        if args.get("name") == "ai-gateway":
            image = RUNNING_B.format(region=args.get("location"))
            found["templates"] = [{"containers": [{"image": image}]}]
        return found

    monkeypatch.setitem(fakes.FAKE_INVOKES, Gcp.GET_SERVICE, answer)
    return asked


def images(graph: Graph, fleet: str) -> dict[str, str]:
    return {
        r.inputs["location"]: r.inputs["template"]["containers"][0]["image"]
        for r in graph.of_type(Gcp.SERVICE)
        if r.name.startswith(f"{fleet}-")
    }


def test_a_template_change_sends_the_running_image(live: list[Mapping[str, Any]]) -> None:
    graph = evaluate("prod", ["fleets.aigw.env.AIGW_NEW_SETTING=on"])
    sent = images(graph, "aigw")
    assert sent
    assert all(image == RUNNING_B.format(region=r) for r, image in sent.items())
    for service in graph.of_type(Gcp.SERVICE):
        envs = {e["name"] for e in service.inputs["template"]["containers"][0]["envs"]}
        assert ("AIGW_NEW_SETTING" in envs) == service.name.startswith("aigw-")
        # Sent, not ignored: an ignored path would get the state's (creation) copy back.
        assert not any("image" in path for path in service.ignore_changes)
    asked = {(a["name"], a["location"], a["project"]) for a in live}
    assert ("ai-gateway", "us-east4", "gitlab-runway-production") in asked


def test_a_new_region_gets_the_image_the_fleet_runs(live: list[Mapping[str, Any]]) -> None:
    regions = stack_config("prod")["aigw-delivery:fleets"]["aigw"]["regions"]
    graph = evaluate("prod", [f"fleets.aigw.regions={json.dumps([*regions, 'europe-west1'])}"])
    new = images(graph, "aigw")["europe-west1"]
    # Through its own region's remote repository, at the digest the fleet runs.
    assert new.startswith("europe-west1-docker.pkg.dev/gitlab-runway-production/gitlab-security/")
    assert new.endswith("/model-gateway@" + B)
    assert graph.outputs["imageDigests"]["aigw"] == B
    # A service that does not exist is never looked up (the data source fails on it).
    assert "europe-west1" not in {a["location"] for a in live}


def test_what_the_deploy_tools_set_is_left_alone(prod: Graph) -> None:
    for service in prod.of_type(Gcp.SERVICE):
        # cloud-foundation-fabric's service-unmanaged.tf, less the containers the stack manages.
        assert set(CLOUD_RUN_DEPLOY_OWNED) <= set(service.ignore_changes)
        # What the stack owns stays managed.
        assert not {p for p in service.ignore_changes if p.startswith("template.containers")}
        assert not {"template", "template.scaling"} & set(service.ignore_changes)


def _prod_raw(**fleet_changes: Any) -> dict[str, str]:
    raw = {
        k.split(":", 1)[1]: v if isinstance(v, str) else json.dumps(v)
        for k, v in stack_config("prod").items()
        if k.startswith("aigw-delivery:")
    }
    fleets = json.loads(raw["fleets"])
    fleets["aigw"].update(fleet_changes)
    fleets["aigw"] = {k: v for k, v in fleets["aigw"].items() if v is not None}
    raw["fleets"] = json.dumps(fleets)
    return raw


TOKEN = {"DOCKERHUB_TOKEN": "dckr_pat_offline_test_only"}


def test_prod_gives_no_digest_where_every_service_runs() -> None:
    for fleet in stack_config("prod")["aigw-delivery:fleets"].values():
        assert "image" not in fleet
        assert sorted(fleet["existingRegions"]) == sorted(fleet["regions"])
    assert "0" * 64 not in (Path(__file__).parent.parent / "Pulumi.prod.yaml").read_text()
    assert parse_settings(_prod_raw(), environ=TOKEN, dry_run=False).fleets["aigw"].image is None


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"image": PLACEHOLDER_DIGEST, "existingRegions": None}, "all-zero placeholder"),
        ({"image": B}, "image is set while existingRegions run"),
        ({"existingRegions": None}, "needs image"),
        ({"existingRegions": ["us-central1"]}, "regions does not hold"),
    ],
)
def test_settings_refuse_an_image_that_is_not_the_running_one(
    changes: dict[str, Any], rule: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings(_prod_raw(**changes), environ=TOKEN, dry_run=True)
    assert "aigw-delivery:fleets.aigw" in str(caught.value)
    assert rule in str(caught.value)
