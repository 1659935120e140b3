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

Image ownership: the Runway deployment pipelines roll out every image; the stack never
sends a service an image other than the one it runs. How, after reading the engine:
`ignoreChanges` is not enough. The engine's `processIgnoreChanges`
(pulumi/pulumi `pkg/resource/deploy/step_generator.go`) copies an ignored path's value from
the *state's* inputs, not from the live service, and the bridged provider is sent the whole
template, so with the image ignored any other template change (an env var, a probe) sends
the creation-day image back to every region (pulumi/docs#16161 says so in the docs). Refresh
would fix the state first (`RefreshStep`, and `ignoreChanges` only shapes a refresh's diff
since pulumi/pulumi#16146), but only on runs that remember `--refresh`. So the stack reads
each running service instead (`cloudrunv2.get_service_output`, the provider's
`google_cloud_run_v2_service` data source; `templates[0].containers[0].image`,
`pulumi_gcp/cloudrunv2/get_service.py`) and sends that image as the input, on every preview
and update, whoever runs it. The image is therefore not in `ignore_changes`: an ignored
path would be overwritten with the state's copy again.

- A region whose service runs is listed in `existingRegions`; a region that is not (a new
  one) is created with the digest its fleet runs in its first existing region (sorted),
  pulled through this region's own remote repository, never a stale one. A fleet none of
  whose services runs yet (a new stack) is created with its configured `image`; its regions
  belong in `existingRegions` once that `up` has run, or a later template change sends the
  creation image again. Settings refuse a fleet with neither, or with both.
- The data source fails with "not found" on a service that does not exist
  (`data_source_google_cloud_run_v2_service.go`), so it is never asked about a region outside
  `existingRegions`; a region listed there by mistake fails the preview, nothing is applied.
  Every preview needs Cloud Run read access in the project.
- What remains: a rollout that lands between the lookup (when the program runs) and the
  update call is rolled back to the image read a moment before; the next rollout or `up`
  sends the right one again. Run `up` on prod when no deployment is in flight.

What the stack does not own on a service is left alone (`contract.CLOUD_RUN_DEPLOY_OWNED`, after
GoogleCloudPlatform/cloud-foundation-fabric `modules/cloud-run-v2/service-unmanaged.tf`,
whose `ignore_changes` lists `build_config`, `client`, `client_version`,
`template[0].revision`, the `run.googleapis.com/operation-id` template annotation,
`template[0].containers` and `template[0].labels`): what gcloud and the deploy tools record
about a rollout. Unlike fabric the stack keeps the containers (env, probes, resources,
ports), the scaling, the account, the timeout and the execution environment: those are the
fleet's settings, and the containers' image is sent live rather than ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, overload

import pulumi

from components import adoption
from components.base import DeliveryComponent
from components.light import cloudrunv2, compute, serviceaccount
from components.pull import RegistryPull
from components.rules import MANAGED_BY
from components.settings import (
    SERVERS,
    DeploymentSettings,
    ExistingSettings,
    FleetSettings,
    ProbeSettings,
    is_digest,
)
from contract import CLOUD_RUN_DEPLOY_OWNED, Gcp, runtime_account_id

ADDRESS_DESCRIPTION = "The fleet's load balancer address, which its hostname's DNS record names."
"""A constant: the hostname is config, and the address's description forces replacement."""


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

        running = {r: self._running_image(r, pull) for r in settings.existing_regions}
        if running:
            first = min(running)
            self.digest = running[first].apply(lambda image: _digest_of(image, name, first))
        else:
            assert settings.image is not None  # settings require it when none runs
            self.digest = pull.digest(settings.image_registry, settings.image)
        self.services: dict[str, cloudrunv2.Service] = {}
        negs: dict[str, compute.RegionNetworkEndpointGroup] = {}
        for region in settings.regions:
            image = running.get(region) or pull.image(settings.image_registry, region, self.digest)
            service = self._service(region, production, image)
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

    def _running_image(self, region: str, pull: RegistryPull) -> pulumi.Output[str]:
        """The image the service in `region` runs now, read from Cloud Run at this run."""
        live = cloudrunv2.get_service_output(
            name=self.settings.service_name,
            location=region,
            project=pull.project_id,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        image: pulumi.Output[str] = live.templates.apply(
            lambda templates: _image_of(templates, self.component_name, region)
        )
        return image

    def _service(
        self, region: str, production: bool, image: pulumi.Input[str]
    ) -> cloudrunv2.Service:
        fleet = self.settings
        container: cloudrunv2.ServiceTemplateContainerArgsDict = {
            # The running image (module docstring), never ignored.
            "image": image,
            "ports": {
                # h2c: Cloud Run passes HTTP/2 (gRPC) through instead of
                # downgrading it to HTTP/1.1.
                "name": "h2c" if fleet.http2 else "http1",
                "container_port": fleet.port,
            },
            "resources": {
                "limits": {"cpu": fleet.cpu, "memory": fleet.memory},
                "startup_cpu_boost": fleet.startup_cpu_boost,
            },
            "envs": [
                {"name": key, "value": value}
                for key, value in sorted(fleet.environment_variables.items())
            ],
            "startup_probe": _probe(fleet.startup_probe, "startup"),
            "liveness_probe": _probe(fleet.liveness_probe, "liveness"),
        }
        template: cloudrunv2.ServiceTemplateArgsDict = {
            "service_account": self.runtime.email,
            "execution_environment": "EXECUTION_ENVIRONMENT_" + fleet.execution_environment.upper(),
            "timeout": f"{fleet.timeout_seconds}s",
            "max_instance_request_concurrency": fleet.concurrency,
            "scaling": {
                "min_instance_count": fleet.min_instances,
                "max_instance_count": fleet.max_instances,
            },
            "containers": [container],
        }
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
            template=template,
            opts=self.child_opts(
                ignore_changes=list(CLOUD_RUN_DEPLOY_OWNED),
                # Only a service that runs is adopted: a region added to `regions` but not
                # yet to `existingRegions` is created (an import of a service that does not
                # exist fails the preview).
                import_=self._adopt
                and region in fleet.existing_regions
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
        # (components/rules.py). Every input of a global address but its labels forces
        # replacing it (policy/delivery/replacement.py), so none may follow config an
        # ordinary edit changes: the description is a constant, never the hostname, and it
        # is ignored once the address exists, so an adopted address keeps whatever
        # description it has live (ignore_changes takes the imported value).
        self.address = compute.GlobalAddress(
            self.child("address"),
            name=self._live_name("address"),
            ip_version="IPV4",
            address_type="EXTERNAL",
            description=ADDRESS_DESCRIPTION,
            opts=self.child_opts(
                ignore_changes=["description"],
                import_=self._global_import("address", Gcp.GLOBAL_ADDRESS),
            ),
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


class RunningImageError(Exception):
    """A running service whose image the stack cannot send back or pass on."""


def _image_of(templates: Sequence[Any], fleet: str, region: str) -> str:
    """`templates[0].containers[0].image` of a service read live."""
    try:
        image = templates[0].containers[0].image
    except (IndexError, TypeError, AttributeError):
        image = None
    if not isinstance(image, str) or not image:
        raise RunningImageError(
            f"fleet {fleet}: the service in {region} reports no container image; is it in "
            "existingRegions by mistake?"
        )
    return image


def _digest_of(image: str, fleet: str, region: str) -> str:
    """The digest of a running image, for a region that does not run yet."""
    digest = image.rpartition("@")[2]
    if "@" not in image or not is_digest(digest):
        raise RunningImageError(
            f"fleet {fleet}: the service in {region} runs an image not pinned by digest, so a "
            "new region cannot be given the same one; deploy it by digest first"
        )
    return digest


@overload
def _probe(
    probe: ProbeSettings | None, kind: Literal["startup"]
) -> cloudrunv2.ServiceTemplateContainerStartupProbeArgsDict | None: ...


@overload
def _probe(
    probe: ProbeSettings | None, kind: Literal["liveness"]
) -> cloudrunv2.ServiceTemplateContainerLivenessProbeArgsDict | None: ...


def _probe(probe: ProbeSettings | None, kind: str) -> Any:
    """A probe's settings as Cloud Run's startup or liveness probe; it checks the container's
    own port. The two probes have the same fields under two types: `kind` only picks the
    one mypy checks the result against."""
    if probe is None:
        return None
    args: dict[str, Any] = {
        "initial_delay_seconds": probe.initial_delay_seconds,
        "period_seconds": probe.period_seconds,
        "timeout_seconds": probe.timeout_seconds,
        "failure_threshold": probe.failure_threshold,
    }
    if probe.type == "httpGet":
        args["http_get"] = {"path": probe.path}
    elif probe.type == "tcpSocket":
        args["tcp_socket"] = {}
    else:
        args["grpc"] = {"service": probe.grpc_service}
    return args
