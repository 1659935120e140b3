"""A fleet: the same Cloud Run service in each of its regions, behind one global load
balancer (the diagram's deploy -> fleets).

Per region: the service, its serverless network endpoint group, and `run.developer` on that
service for each deployment that rolls out there. Per fleet: the runtime account the
services run as, `iam.serviceAccountUser` on it for its deployers, and the load balancer
(backend service, URL map, managed certificate, HTTPS proxy, address, forwarding rule).
A region's resources depend on nothing of another region's, so regions are created in
parallel and adding one adds the same few resources.

Who invokes: anyone who reaches the load balancer. The services authenticate their callers
themselves (the AI Gateway and the Duo Workflow Service verify GitLab-issued tokens on
every request); the callers are GitLab instances and IDEs that have no Google identity, so
Cloud Run's IAM invoker check is disabled (`invoker_iam_disabled`) instead of granting
`roles/run.invoker` to allUsers, and ingress is limited to the load balancer so the
`run.app` URLs cannot be called around it.

Image ownership: the stack creates each service with the configured image (by digest);
every later rollout is made by the Runway deployment pipelines, so the stack ignores
changes to the container image (and to what gcloud records about itself) and never rolls a
service back to the image it was created with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi_gcp import cloudrunv2, serviceaccount

from components import adoption, compute
from components.base import DeliveryComponent
from components.pull import RegistryPull
from components.rules import MANAGED_BY
from components.settings import (
    SERVERS,
    DeploymentSettings,
    ExistingSettings,
    FleetSettings,
    ProbeSettings,
)
from contract import Gcp, runtime_account_id

PIPELINE_OWNED = ["template.containers[0].image", "client", "clientVersion"]
"""What the deployment pipelines change on a service after the stack created it: the image
they roll out, and the client gcloud records. The stack leaves these alone."""


class Fleet(DeliveryComponent):
    """One fleet's runtime account, regional services and global load balancer."""

    def __init__(
        self,
        name: str,
        settings: FleetSettings,
        *,
        production: bool,
        pull: RegistryPull,
        deployments: Mapping[str, DeploymentSettings],
        deployers: Mapping[str, serviceaccount.Account],
        existing: ExistingSettings | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("Fleet", name, opts)
        self.settings = settings
        # Where the fleet exists, every resource below is adopted (components/adoption.py).
        self._adopt = pull.project_id if existing is not None and existing.fleets else None
        self._names = existing.names if existing is not None else {}
        self.runtime = serviceaccount.Account(
            self.child("runtime"),
            account_id=runtime_account_id(name),
            display_name=f"Cloud Run runtime: {name}",
            description=f"What the {name} services run as.",
            opts=self.child_opts(
                import_=self._adopt
                and adoption.service_account(self._adopt, runtime_account_id(name))
            ),
        )
        for deployment_id in deployments:
            # Deploying a revision that runs as the runtime account needs actAs on it, on
            # this account only.
            serviceaccount.IAMMember(
                self.child(f"runtime-{deployment_id}-user"),
                service_account_id=self.runtime.name,
                role="roles/iam.serviceAccountUser",
                member=deployers[deployment_id].member,
                opts=self.child_opts(),
            )

        self.digest = pull.digest(settings.image_registry, settings.image)
        self.services: dict[str, cloudrunv2.Service] = {}
        negs: dict[str, compute.RegionNetworkEndpointGroup] = {}
        for region in settings.regions:
            service = self._service(region, production, pull)
            self.services[region] = service
            neg_name = self._live_name(f"{region}-neg")
            negs[region] = compute.RegionNetworkEndpointGroup(
                self.child(f"{region}-neg"),
                name=neg_name,
                region=region,
                network_endpoint_type="SERVERLESS",
                cloud_run={"service": service.name},
                opts=self.child_opts(
                    import_=neg_name and adoption.region_neg(pull.project_id, region, neg_name)
                ),
            )
            for deployment_id, deployment in deployments.items():
                if region not in (deployment.regions or settings.regions):
                    continue
                # The deployer may roll out this service: granted on the service, never on
                # the project, so it can touch no other service.
                cloudrunv2.ServiceIamMember(
                    self.child(f"{region}-{deployment_id}-developer"),
                    location=region,
                    name=service.name,
                    role="roles/run.developer",
                    member=deployers[deployment_id].member,
                    opts=self.child_opts(),
                )
        self._load_balancer(negs)
        self.register_outputs(
            {
                "services": {r: s.name for r, s in self.services.items()},
                "address": self.address.address,
                "digest": self.digest,
            }
        )

    def _service(self, region: str, production: bool, pull: RegistryPull) -> cloudrunv2.Service:
        fleet = self.settings
        return cloudrunv2.Service(
            self.child(f"{region}-service"),
            location=region,
            name=fleet.service_name,
            description=f"{SERVERS[fleet.serves].title} ({self.component_name} fleet, {region}). "
            f"{MANAGED_BY}; images are rolled out by the Runway deployment.",
            ingress="INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
            # Callers are authenticated by the service itself (module docstring).
            invoker_iam_disabled=True,
            deletion_protection=production,
            labels={"fleet": self.component_name},
            template=cloudrunv2.ServiceTemplateArgs(
                service_account=self.runtime.email,
                execution_environment="EXECUTION_ENVIRONMENT_"
                + fleet.execution_environment.upper(),
                timeout=f"{fleet.timeout_seconds}s",
                max_instance_request_concurrency=fleet.concurrency,
                scaling=cloudrunv2.ServiceTemplateScalingArgs(
                    min_instance_count=fleet.min_instances,
                    max_instance_count=fleet.max_instances,
                ),
                containers=[
                    cloudrunv2.ServiceTemplateContainerArgs(
                        image=pull.image(fleet.image_registry, region, self.digest),
                        ports=cloudrunv2.ServiceTemplateContainerPortsArgs(
                            # h2c: Cloud Run passes HTTP/2 (gRPC) through instead of
                            # downgrading it to HTTP/1.1.
                            name="h2c" if fleet.http2 else "http1",
                            container_port=fleet.port,
                        ),
                        resources=cloudrunv2.ServiceTemplateContainerResourcesArgs(
                            limits={"cpu": fleet.cpu, "memory": fleet.memory},
                            startup_cpu_boost=fleet.startup_cpu_boost,
                        ),
                        envs=[
                            cloudrunv2.ServiceTemplateContainerEnvArgs(name=key, value=value)
                            for key, value in sorted(fleet.environment_variables.items())
                        ],
                        startup_probe=_probe(fleet.startup_probe, "startup"),
                        liveness_probe=_probe(fleet.liveness_probe, "liveness"),
                    )
                ],
            ),
            opts=self.child_opts(
                ignore_changes=PIPELINE_OWNED,
                import_=self._adopt
                and adoption.cloud_run_service(self._adopt, region, fleet.service_name),
            ),
        )

    def _load_balancer(self, negs: Mapping[str, compute.RegionNetworkEndpointGroup]) -> None:
        fleet = self.settings
        self.backend = compute.BackendService(
            self.child("backend"),
            name=self._live_name("backend"),
            description=f"The {self.component_name} fleet's regions.",
            load_balancing_scheme="EXTERNAL_MANAGED",
            # gRPC needs HTTP/2 from the load balancer to the service as well.
            protocol="HTTP2" if fleet.http2 else "HTTPS",
            backends=[{"group": negs[region].id} for region in sorted(negs)],
            opts=self.child_opts(import_=self._global_import("backend", Gcp.BACKEND_SERVICE)),
        )
        self.url_map = compute.URLMap(
            self.child("url-map"),
            name=self._live_name("url-map"),
            default_service=self.backend.id,
            opts=self.child_opts(import_=self._global_import("url-map", Gcp.URL_MAP)),
        )
        self.certificate = compute.ManagedSslCertificate(
            self.child("certificate"),
            name=self._live_name("certificate"),
            managed={"domains": [fleet.hostname]},
            opts=self.child_opts(import_=self._global_import("certificate", Gcp.CERTIFICATE)),
        )
        self.proxy = compute.TargetHttpsProxy(
            self.child("https-proxy"),
            name=self._live_name("https-proxy"),
            url_map=self.url_map.id,
            ssl_certificates=[self.certificate.id],
            opts=self.child_opts(import_=self._global_import("https-proxy", Gcp.HTTPS_PROXY)),
        )
        # The hostname's DNS record points here: in prod the address must survive
        # (components/rules.py).
        self.address = compute.GlobalAddress(
            self.child("address"),
            name=self._live_name("address"),
            ip_version="IPV4",
            address_type="EXTERNAL",
            description=f"{fleet.hostname}.",
            opts=self.child_opts(import_=self._global_import("address", Gcp.GLOBAL_ADDRESS)),
        )
        self.forwarding_rule = compute.GlobalForwardingRule(
            self.child("https"),
            name=self._live_name("https"),
            target=self.proxy.id,
            ip_address=self.address.id,
            ip_protocol="TCP",
            port_range="443",
            load_balancing_scheme="EXTERNAL_MANAGED",
            opts=self.child_opts(import_=self._global_import("https", Gcp.FORWARDING_RULE)),
        )

    def _live_name(self, part: str) -> str | None:
        """The live name of a load balancer resource where the fleet exists: the override in
        `existing.names` (by logical name), else `<serviceName>-<part>`. None where the fleet
        is created: Pulumi names it, as before."""
        if self._adopt is None:
            return None
        rule = f"{self.settings.service_name}-{part}"
        return adoption.live_name(self._names, self.child(part), rule)

    def _global_import(self, part: str, type_: str) -> str | None:
        """The import id of a global load balancer resource that exists, from its live name
        (the same name the resource is given: `name` forces replacement on these types)."""
        name = self._live_name(part)
        if name is None or self._adopt is None:
            return None
        return adoption.global_resource(type_, self._adopt, name)

    def region_outputs(self) -> dict[str, dict[str, pulumi.Output[str]]]:
        """Per region, the service's name and URL."""
        return {
            region: {"service": service.name, "url": service.uri}
            for region, service in sorted(self.services.items())
        }


_PROBE_ARGS: dict[str, tuple[Any, Any, Any, Any]] = {
    "startup": (
        cloudrunv2.ServiceTemplateContainerStartupProbeArgs,
        cloudrunv2.ServiceTemplateContainerStartupProbeHttpGetArgs,
        cloudrunv2.ServiceTemplateContainerStartupProbeTcpSocketArgs,
        cloudrunv2.ServiceTemplateContainerStartupProbeGrpcArgs,
    ),
    "liveness": (
        cloudrunv2.ServiceTemplateContainerLivenessProbeArgs,
        cloudrunv2.ServiceTemplateContainerLivenessProbeHttpGetArgs,
        cloudrunv2.ServiceTemplateContainerLivenessProbeTcpSocketArgs,
        cloudrunv2.ServiceTemplateContainerLivenessProbeGrpcArgs,
    ),
}
"""Cloud Run's argument types for each kind of probe: (probe, httpGet, tcpSocket, grpc)."""


def _probe(probe: ProbeSettings | None, kind: str) -> Any:
    """A probe's settings as Cloud Run's startup or liveness probe; it checks the container's
    own port."""
    if probe is None:
        return None
    probe_args, http_get, tcp_socket, grpc = _PROBE_ARGS[kind]
    if probe.type == "httpGet":
        action = {"http_get": http_get(path=probe.path)}
    elif probe.type == "tcpSocket":
        action = {"tcp_socket": tcp_socket()}
    else:
        action = {"grpc": grpc(service=probe.grpc_service)}
    return probe_args(
        initial_delay_seconds=probe.initial_delay_seconds,
        period_seconds=probe.period_seconds,
        timeout_seconds=probe.timeout_seconds,
        failure_threshold=probe.failure_threshold,
        **action,
    )
