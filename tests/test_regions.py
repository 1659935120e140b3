"""Regions scale and keep their identity: a region adds a fixed few resources, its names come
from the region's name, and regions never wait for each other."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from components.settings import CLOUD_RUN_REGIONS
from stackctl.engine import Graph, evaluate
from tests.conftest import stack_config

AIGW_REGIONS = stack_config("prod")["aigw-delivery:fleets"]["aigw"]["regions"]
ONE_REGION_EACH = [
    'fleets.aigw.regions=["us-east4"]',
    'fleets.aigw.existingRegions=["us-east4"]',
    'fleets.dws.regions=["us-east1"]',
    'fleets.dws.existingRegions=["us-east1"]',
]


def with_aigw_regions(regions: list[str]) -> Graph:
    """Prod with AIGW in `regions`: those it runs in today keep running, new ones do not yet."""
    running = [r for r in regions if r in AIGW_REGIONS]
    return evaluate(
        "prod",
        [
            f"fleets.aigw.regions={json.dumps(regions)}",
            f"fleets.aigw.existingRegions={json.dumps(running)}",
        ],
    )


def urns(graph: Graph) -> set[str]:
    return {r.urn for r in graph.resources}


def names(graph: Graph, among: set[str]) -> set[str]:
    return {graph.get(u).name for u in among}


@pytest.fixture(scope="module")
def one_region() -> Graph:
    return evaluate("prod", ONE_REGION_EACH)


@pytest.fixture(scope="module")
def grown() -> Graph:
    """Prod with one more AIGW region, where nothing runs yet."""
    return with_aigw_regions([*AIGW_REGIONS, "us-west1"])


def test_a_new_region_adds_its_service_neg_developer_grant_and_repository(
    prod: Graph, grown: Graph
) -> None:
    added = urns(grown) - urns(prod)
    assert urns(prod) <= urns(grown)
    assert names(grown, added) == {
        "aigw-us-west1-service",
        "aigw-us-west1-neg",
        "aigw-us-west1-ai-gateway-developer",
        "pull-security-us-west1",
    }
    assert len(grown.resources) - len(prod.resources) == 4


def test_a_region_the_registry_already_serves_adds_three(prod: Graph) -> None:
    # us-east1 already has a remote repository for DWS; AIGW only adds its own three.
    grown = with_aigw_regions([*AIGW_REGIONS, "us-east1"])
    assert names(grown, urns(grown) - urns(prod)) == {
        "aigw-us-east1-service",
        "aigw-us-east1-neg",
        "aigw-us-east1-ai-gateway-developer",
    }


def test_removing_a_region_removes_only_that_regions_resources(prod: Graph) -> None:
    shrunk = with_aigw_regions([r for r in AIGW_REGIONS if r != "europe-west3"])
    removed = urns(prod) - urns(shrunk)
    assert urns(shrunk) <= urns(prod)
    assert names(prod, removed) == {
        "aigw-europe-west3-service",
        "aigw-europe-west3-neg",
        "aigw-europe-west3-ai-gateway-developer",
        "pull-security-europe-west3",
    }


def test_reordering_regions_changes_nothing_at_all(prod: Graph) -> None:
    reordered = with_aigw_regions(list(reversed(AIGW_REGIONS)))
    assert reordered.to_json() == prod.to_json()


def test_other_regions_resources_keep_their_inputs_when_a_region_is_added(
    prod: Graph, grown: Graph
) -> None:
    before = {r.urn: r.inputs for r in prod.resources}
    changed = {r.name for r in grown.resources if r.urn in before and r.inputs != before[r.urn]}
    # What lists the fleet's regions changes; no other region's resource does.
    assert changed == {"aigw-backend", "ai-gateway-runway-regions", "ai-gateway-runway-services"}


def test_per_region_resources_depend_on_nothing_of_another_region(prod: Graph) -> None:
    def region_of(name: str) -> str | None:
        return next((r for r in CLOUD_RUN_REGIONS if f"-{r}-" in f"{name}-"), None)

    regional = [r for r in prod.resources if region_of(r.name)]
    # 9 fleet-regions (service, NEG, developer grant each) and 7 remote repositories.
    assert len(regional) == 3 * 9 + 7
    for resource in regional:
        own = region_of(resource.name)
        for dependency in resource.dependencies:
            assert region_of(prod.get(dependency).name) in (None, own), (
                resource.name,
                prod.get(dependency).name,
            )


def test_the_longest_chain_is_the_same_for_one_region_as_for_all(
    prod: Graph, one_region: Graph
) -> None:
    assert len(one_region.resources) < len(prod.resources)
    chain = [prod.get(u).name for u in prod.longest_chain()]
    assert len(one_region.longest_chain()) == len(chain) == 7
    # The runtime account, a region's service and NEG (the services run the image they run,
    # read live, so nothing of the pull path is on the way), then the load balancer.
    assert chain[:3] == ["aigw-runtime", "aigw-asia-northeast1-service", "aigw-asia-northeast1-neg"]
    assert chain[-4:] == ["aigw-backend", "aigw-url-map", "aigw-https-proxy", "aigw-https"]


def test_each_region_costs_the_same_resources(prod: Graph, one_region: Graph) -> None:
    per_type = Counter(r.type for r in prod.resources) - Counter(
        r.type for r in one_region.resources
    )
    # AIGW 6 -> 1 region and DWS 3 -> 1: 7 fleet-regions fewer, and 7 -> 2 repositories.
    assert per_type == {
        "gcp:cloudrunv2/service:Service": 7,
        "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup": 7,
        "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": 7,
        "gcp:artifactregistry/repository:Repository": 5,
    }
