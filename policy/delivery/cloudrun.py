"""Cloud Run: what a service runs, as whom, who can reach it, and whether it can be deleted.

Properties are those of pulumi-gcp 10.2's `gcp:cloudrunv2/service:Service`:
`template.containers[].image`, `template.serviceAccount`, `ingress`, `deletionProtection`.
An absent optional property means the provider's default, and each policy says what that is.
"""

from __future__ import annotations

import re

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from .graph import sources
from .kinds import CLOUD_RUN_SERVICE, SERVICE_ACCOUNT
from .protection import PRODUCTION_CONFIG, production
from .reading import UNKNOWN, Reader, setting, show

MANDATORY = EnforcementLevel.MANDATORY

ARTIFACT_REGISTRY_IMAGE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*-docker\.pkg\.dev/[^/@:]+/[^/@:]+/.+")
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
DEFAULT_SERVICE_ACCOUNT = re.compile(
    r"^(\d+-compute@developer\.gserviceaccount\.com|[a-z0-9-]+@appspot\.gserviceaccount\.com)$"
)
LOAD_BALANCER_INGRESS = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"


def _images(args: ResourceValidationArgs, reader: Reader) -> list[tuple[str, str]]:
    """(container, image) for each container of a Cloud Run service whose image is known."""
    if args.resource_type != CLOUD_RUN_SERVICE:
        return []
    found = []
    containers = reader.elements(reader.get(args.props, "template", "containers"))
    for index, container in enumerate(containers):
        image = reader.get(container, "image")
        name = reader.get(container, "name")
        if isinstance(image, str):
            found.append((name if isinstance(name, str) and name else f"#{index}", image))
    return found


def _image_from_artifact_registry(args: ResourceValidationArgs, report: ReportViolation) -> None:
    reader = Reader()
    for container, image in _images(args, reader):
        if not ARTIFACT_REGISTRY_IMAGE.match(image):
            report(
                f"container {container} runs {image!r}, which is not in Artifact Registry "
                "(<region>-docker.pkg.dev/<project>/<repository>/<image>): bring the image "
                "there (the remote repository of the security registry) and run it from there",
                None,
            )
    reader.finish()


cloud_run_image_from_artifact_registry = ResourceValidationPolicy(
    name="cloud-run-image-from-artifact-registry",
    description="Cloud Run runs images from Artifact Registry.",
    validate=_image_from_artifact_registry,
    enforcement_level=MANDATORY,
)

DIGEST_CONFIG = PolicyConfigSchema(
    properties={
        "requireDigest": {
            "type": "boolean",
            "description": "Whether every Cloud Run image must be pinned by @sha256 digest. "
            "Defaults to true (production's rule).",
            "default": True,
        },
    }
)


def _image_pinned(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CLOUD_RUN_SERVICE or not setting(args, DIGEST_CONFIG, "requireDigest"):
        return
    reader = Reader()
    for container, image in _images(args, reader):
        if not DIGEST.search(image):
            report(
                f"container {container} runs {image!r}, a mutable reference: pin it by digest "
                "(<image>@sha256:<64 hex digits>) so that what runs is what was reviewed",
                None,
            )
    reader.finish()


cloud_run_image_pinned = ResourceValidationPolicy(
    name="cloud-run-image-pinned-by-digest",
    description="Where the stack requires it, Cloud Run images are pinned by sha256 digest.",
    validate=_image_pinned,
    enforcement_level=MANDATORY,
    config_schema=DIGEST_CONFIG,
)


def _no_default_service_account(args: StackValidationArgs, report: ReportViolation) -> None:
    """A stack policy, to see where an account not known yet comes from: an email built from
    a service account this stack creates is the stack's own, never a default one (Google
    creates those; no stack does). Otherwise an unknown email is a note, as in any preview."""
    reader = Reader()
    for service in args.resources:
        if service.resource_type != CLOUD_RUN_SERVICE:
            continue
        account = Reader().get(service.props, "template", "serviceAccount")
        if account is UNKNOWN:
            own = any(s.resource_type == SERVICE_ACCOUNT for s in sources(service, "template"))
            if not own:
                reader.get(service.props, "template", "serviceAccount")
        elif not account:
            report(
                "template.serviceAccount is unset, so the service runs as the Compute Engine "
                "default service account (Editor on the whole project): give it its own runtime "
                "account",
                service.urn,
            )
        elif isinstance(account, str) and DEFAULT_SERVICE_ACCOUNT.match(account):
            report(
                f"template.serviceAccount is the default service account {account}: give the "
                "service its own runtime account",
                service.urn,
            )
    reader.finish()


cloud_run_no_default_service_account = StackValidationPolicy(
    name="cloud-run-no-default-service-account",
    description="No Cloud Run service runs as a default service account.",
    validate=_no_default_service_account,
    enforcement_level=MANDATORY,
)


def _deletion_protection(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CLOUD_RUN_SERVICE or not production(args):
        return
    reader = Reader()
    # Unset means the provider's default, which is true (pulumi-gcp 10.2).
    if reader.get(args.props, "deletionProtection") is False:
        report("deletionProtection is false: in production a service must not be deletable", None)
    reader.finish()


cloud_run_deletion_protection = ResourceValidationPolicy(
    name="cloud-run-deletion-protection-in-prod",
    description="In production Cloud Run services have deletion protection.",
    validate=_deletion_protection,
    enforcement_level=MANDATORY,
    config_schema=PRODUCTION_CONFIG,
)


def _ingress(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CLOUD_RUN_SERVICE:
        return
    reader = Reader()
    ingress = reader.get(args.props, "ingress")
    if ingress is not UNKNOWN and ingress != LOAD_BALANCER_INGRESS:
        default = " (Cloud Run's default is INGRESS_TRAFFIC_ALL)" if ingress is None else ""
        report(
            f"ingress is {show(ingress)}{default}: set {LOAD_BALANCER_INGRESS}, so that traffic "
            "reaches the service only through the load balancer",
            None,
        )
    reader.finish()


cloud_run_ingress = ResourceValidationPolicy(
    name="cloud-run-ingress-load-balancer-only",
    description="Cloud Run services accept traffic only from the load balancer.",
    validate=_ingress,
    enforcement_level=MANDATORY,
)

POLICIES = [
    cloud_run_image_from_artifact_registry,
    cloud_run_image_pinned,
    cloud_run_no_default_service_account,
    cloud_run_deletion_protection,
    cloud_run_ingress,
]
