"""The fleets: Cloud Run services per region from settings, and a load balancer per fleet."""

from __future__ import annotations

import pytest

from stackctl.engine import Graph, Resource
from tests.conftest import stack_config
from tests.wiring import fed_by

SERVICE = "gcp:cloudrunv2/service:Service"
NEG = "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup"


def fleets(stack: str) -> dict[str, dict]:
    found: dict[str, dict] = stack_config(stack)["aigw-delivery:fleets"]
    return found


def container(service: Resource) -> dict:
    [only] = service.inputs["template"]["containers"]
    found: dict = only
    return found


def services_of(graph: Graph, fleet_id: str) -> dict[str, Resource]:
    return {
        r.inputs["location"]: r for r in graph.of_type(SERVICE) if r.name.startswith(f"{fleet_id}-")
    }


def test_every_fleet_has_one_service_per_configured_region(stack_graph: Graph) -> None:
    for fleet_id, settings in fleets(stack_graph.stack).items():
        services = services_of(stack_graph, fleet_id)
        assert set(services) == set(settings["regions"])
        for region, service in services.items():
            assert service.name == f"{fleet_id}-{region}-service"
            assert service.inputs["name"] == settings["serviceName"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_services_carry_the_fleets_settings(stack: str, request: pytest.FixtureRequest) -> None:
    graph: Graph = request.getfixturevalue(stack)
    for fleet_id, settings in fleets(stack).items():
        for service in services_of(graph, fleet_id).values():
            template = service.inputs["template"]
            assert template["scaling"] == {
                "minInstanceCount": settings["minInstances"],
                "maxInstanceCount": settings["maxInstances"],
            }
            assert template["maxInstanceRequestConcurrency"] == settings["concurrency"]
            assert template["timeout"] == f"{settings['timeoutSeconds']}s"
            assert template["executionEnvironment"] == "EXECUTION_ENVIRONMENT_GEN2"
            # Runs as the fleet's runtime account (its `email` output).
            assert f"{fleet_id}-runtime" in fed_by(graph, service, "template")
            resources = container(service)["resources"]
            assert resources == {
                "limits": {"cpu": settings["cpu"], "memory": settings["memory"]},
                "startupCpuBoost": settings["startupCpuBoost"],
            }
            assert container(service)["ports"]["containerPort"] == settings["port"]


def test_prod_values_are_the_real_fleets(prod: Graph) -> None:
    aigw = services_of(prod, "aigw")
    assert sorted(aigw) == sorted(
        [
            "us-east4",
            "asia-northeast1",
            "asia-northeast3",
            "europe-west2",
            "europe-west3",
            "europe-west9",
        ]
    )
    template = aigw["us-east4"].inputs["template"]
    assert template["scaling"] == {"minInstanceCount": 8, "maxInstanceCount": 100}
    assert template["maxInstanceRequestConcurrency"] == 60
    assert template["timeout"] == "90s"
    dws = services_of(prod, "dws")
    assert sorted(dws) == ["asia-northeast1", "europe-west2", "us-east1"]
    template = dws["us-east1"].inputs["template"]
    assert template["scaling"] == {"minInstanceCount": 16, "maxInstanceCount": 64}
    assert template["maxInstanceRequestConcurrency"] == 20
    assert template["timeout"] == "3600s"


def test_aigw_is_probed_on_its_monitoring_endpoints(stack_graph: Graph) -> None:
    for service in services_of(stack_graph, "aigw").values():
        probes = container(service)
        assert probes["startupProbe"]["httpGet"] == {"path": "/monitoring/ready"}
        assert probes["livenessProbe"]["httpGet"] == {"path": "/monitoring/healthz"}
        assert container(service)["ports"]["name"] == "http1"


def test_dws_serves_grpc_over_http2_end_to_end(stack_graph: Graph) -> None:
    for service in services_of(stack_graph, "dws").values():
        assert container(service)["ports"]["name"] == "h2c"
        # Its gRPC port answers no HTTP GET: it is probed on TCP.
        assert "tcpSocket" in container(service)["startupProbe"]
    assert stack_graph.named("dws-backend").inputs["protocol"] == "HTTP2"
    assert stack_graph.named("aigw-backend").inputs["protocol"] == "HTTPS"


def test_both_fleets_run_one_image_and_the_environment_chooses_the_program(
    stack_graph: Graph,
) -> None:
    images = set()
    for fleet_id in ("aigw", "dws"):
        for service in services_of(stack_graph, fleet_id).values():
            images.add(container(service)["image"].split("/", 1)[1].split("@")[0])
            envs = {e["name"]: e["value"] for e in container(service)["envs"]}
            if fleet_id == "dws":
                assert envs["ENABLE_DUO_WORKFLOW_SERVICE"] == "true"
                assert envs["DISABLE_AI_GATEWAY"] == "true"
            else:
                assert "ENABLE_DUO_WORKFLOW_SERVICE" not in envs
                assert envs["AIGW_FASTAPI__API_PORT"] == "8080"
            assert "PORT" not in envs  # Cloud Run sets it
    assert len(images) == 1
    assert images.pop().endswith("/model-gateway")


def test_only_the_load_balancer_reaches_the_services_and_they_check_callers(
    stack_graph: Graph,
) -> None:
    for service in stack_graph.of_type(SERVICE):
        assert service.inputs["ingress"] == "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
        # The services authenticate callers themselves; no allUsers invoker grant.
        assert service.inputs["invokerIamDisabled"] is True
    assert not [
        r.name
        for r in stack_graph.resources
        if "allUsers" in str(r.inputs) or "allAuthenticatedUsers" in str(r.inputs)
    ]


def test_prod_services_have_deletion_protection_and_staging_ones_do_not(
    prod: Graph, staging: Graph
) -> None:
    assert all(s.inputs["deletionProtection"] is True for s in prod.of_type(SERVICE))
    assert all(s.inputs["deletionProtection"] is False for s in staging.of_type(SERVICE))


def test_the_stack_never_fights_the_pipelines_over_what_gcloud_records(
    stack_graph: Graph,
) -> None:
    for service in stack_graph.of_type(SERVICE):
        assert {"client", "clientVersion", "template.revision"} <= set(service.ignore_changes)


def test_each_fleet_has_a_global_https_load_balancer_over_its_regions(
    stack_graph: Graph,
) -> None:
    for fleet_id, settings in fleets(stack_graph.stack).items():
        negs = {
            r.inputs["region"]: r
            for r in stack_graph.of_type(NEG)
            if r.name.startswith(f"{fleet_id}-")
        }
        assert set(negs) == set(settings["regions"])
        for region, neg in negs.items():
            assert neg.inputs["networkEndpointType"] == "SERVERLESS"
            assert neg.inputs["cloudRun"] == {"service": settings["serviceName"]}
            assert stack_graph.named(f"{fleet_id}-{region}-service").urn in neg.dependencies
        backend = stack_graph.named(f"{fleet_id}-backend")
        assert backend.inputs["loadBalancingScheme"] == "EXTERNAL_MANAGED"
        # One backend per region, each a region's endpoint group (its id).
        assert len(backend.inputs["backends"]) == len(settings["regions"])
        assert fed_by(stack_graph, backend, "backends") == {
            f"{fleet_id}-{region}-neg" for region in settings["regions"]
        }
        url_map = stack_graph.named(f"{fleet_id}-url-map")
        certificate = stack_graph.named(f"{fleet_id}-certificate")
        proxy = stack_graph.named(f"{fleet_id}-https-proxy")
        address = stack_graph.named(f"{fleet_id}-address")
        rule = stack_graph.named(f"{fleet_id}-https")
        assert certificate.inputs["managed"] == {"domains": [settings["hostname"]]}
        # Chained by id: rule -> proxy -> URL map -> backend; the proxy serves the
        # certificate, the rule listens on the address.
        assert fed_by(stack_graph, url_map, "defaultService") == {backend.name}
        assert fed_by(stack_graph, proxy, "urlMap") == {url_map.name}
        assert fed_by(stack_graph, proxy, "sslCertificates") == {certificate.name}
        assert len(proxy.inputs["sslCertificates"]) == 1
        assert fed_by(stack_graph, rule, "target") == {proxy.name}
        assert fed_by(stack_graph, rule, "ipAddress") == {address.name}
        assert (rule.inputs["portRange"], rule.inputs["loadBalancingScheme"]) == (
            "443",
            "EXTERNAL_MANAGED",
        )
        # The address the hostname's DNS record points at survives in prod.
        assert address.protect is (stack_graph.stack == "prod")


def test_outputs_give_each_fleets_services_urls_address_and_digest(prod: Graph) -> None:
    output = prod.outputs["fleets"]
    for fleet_id, settings in fleets("prod").items():
        assert output[fleet_id]["hostname"] == settings["hostname"]
        # The address and the services' URLs are what Google Cloud gives (offline: fakes).
        assert "address" in output[fleet_id]
        # No configured image: the digest the services run (read live).
        assert output[fleet_id]["image"]["reference"] is None
        assert output[fleet_id]["image"]["digest"] == prod.outputs["imageDigests"][fleet_id]
        assert set(output[fleet_id]["regions"]) == set(settings["regions"])
        for service in output[fleet_id]["regions"].values():
            assert service["service"] == settings["serviceName"]
            assert "url" in service
