"""The contract between the program, its tools and the policy pack.

Three readers depend on the same facts about the graph: the program that registers it
(`__main__.py`, `components/`), the offline tools that read it (`stackctl/`), and the policy
pack that judges it (`policy/`). Each fact lives here once:

- the type tokens of the resources the program registers, as their providers spell them;
- the markers the offline graph shows instead of a secret or an unknown value;
- the naming rules (child names, service account suffixes and their length limit, CI
  variable keys the tools look for);
- the provenance output: its name, its shape, and the environment it is read from.

It imports nothing but the standard library: the program imports it at every `pulumi up`,
and the policy pack imports it from inside `policy/`, where neither the program's packages
nor `stackctl` are importable (`policy/_root.py` puts this directory on `sys.path`).
"""

from __future__ import annotations

from typing import Final, TypedDict

# --- type tokens ------------------------------------------------------------------------------
# As pulumi-gitlab 10.4 and pulumi-gcp 10.2 pass them to `CustomResource.__init__`.


class GitLab:
    PROJECT: Final = "gitlab:index/project:Project"
    BRANCH_PROTECTION: Final = "gitlab:index/branchProtection:BranchProtection"
    TAG_PROTECTION: Final = "gitlab:index/tagProtection:TagProtection"
    REGISTRY_PROTECTION: Final = (
        "gitlab:index/projectContainerRepositoryProtection:ProjectContainerRepositoryProtection"
    )
    PACKAGE_PROTECTION: Final = (
        "gitlab:index/projectPackageProtectionRule:ProjectPackageProtectionRule"
    )
    PUSH_MIRROR: Final = "gitlab:index/projectPushMirror:ProjectPushMirror"
    ACCESS_TOKEN: Final = "gitlab:index/projectAccessToken:ProjectAccessToken"  # noqa: S105
    DEPLOY_TOKEN: Final = "gitlab:index/projectDeployToken:ProjectDeployToken"  # noqa: S105
    PIPELINE_TRIGGER: Final = "gitlab:index/pipelineTrigger:PipelineTrigger"
    VARIABLE: Final = "gitlab:index/projectVariable:ProjectVariable"
    JOB_TOKEN_SCOPE: Final = "gitlab:index/projectJobTokenScope:ProjectJobTokenScope"  # noqa: S105
    GET_PROJECT: Final = "gitlab:index/getProject:getProject"
    GET_GROUP: Final = "gitlab:index/getGroup:getGroup"


class Gcp:
    SERVICE: Final = "gcp:cloudrunv2/service:Service"
    GET_SERVICE: Final = "gcp:cloudrunv2/getService:getService"
    SERVICE_IAM_MEMBER: Final = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
    REPOSITORY: Final = "gcp:artifactregistry/repository:Repository"
    SECRET: Final = "gcp:secretmanager/secret:Secret"  # noqa: S105
    SECRET_VERSION: Final = "gcp:secretmanager/secretVersion:SecretVersion"  # noqa: S105
    SECRET_IAM_MEMBER: Final = "gcp:secretmanager/secretIamMember:SecretIamMember"  # noqa: S105
    SERVICE_IDENTITY: Final = "gcp:projects/serviceIdentity:ServiceIdentity"
    SERVICE_ACCOUNT: Final = "gcp:serviceaccount/account:Account"
    SERVICE_ACCOUNT_IAM_MEMBER: Final = "gcp:serviceaccount/iAMMember:IAMMember"
    WIF_POOL: Final = "gcp:iam/workloadIdentityPool:WorkloadIdentityPool"
    WIF_PROVIDER: Final = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
    NEG: Final = "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup"
    BACKEND_SERVICE: Final = "gcp:compute/backendService:BackendService"
    URL_MAP: Final = "gcp:compute/uRLMap:URLMap"
    CERTIFICATE: Final = "gcp:compute/managedSslCertificate:ManagedSslCertificate"
    HTTPS_PROXY: Final = "gcp:compute/targetHttpsProxy:TargetHttpsProxy"
    GLOBAL_ADDRESS: Final = "gcp:compute/globalAddress:GlobalAddress"
    FORWARDING_RULE: Final = "gcp:compute/globalForwardingRule:GlobalForwardingRule"


class Docker:
    PROVIDER: Final = "pulumi:providers:docker"
    GET_REGISTRY_IMAGE: Final = "docker:index/getRegistryImage:getRegistryImage"


class Time:
    ROTATING: Final = "time:index/rotating:Rotating"
    """pulumiverse-time 0.1.1: a rotation period kept in state (components/rotation.py)."""


class Pulumi:
    STACK: Final = "pulumi:pulumi:Stack"
    PROVIDER_PREFIX: Final = "pulumi:providers:"
    DYNAMIC_PREFIX: Final = "pulumi-python:dynamic"
    """Python dynamic resources: `pulumi-python:dynamic:Resource`, or with the module and
    name the resource class gives (`pulumi-python:dynamic/dockerhub:Repository`)."""
    DYNAMIC_PROVIDER_KEY: Final = "__provider"
    """The input in which a dynamic resource carries its pickled provider (dill, base64)."""


DOCKERHUB_REPOSITORY: Final = Pulumi.DYNAMIC_PREFIX + "/dockerhub:Repository"
"""The Docker Hub repository of `components/dockerhub.py` (module `dockerhub`, name
`Repository`)."""


class Component:
    """The program's own components: `aigw:delivery:<Kind>`, one per part of the diagram."""

    PREFIX: Final = "aigw:delivery:"
    SOURCE_PROJECT: Final = PREFIX + "SourceProject"
    PUSH_MIRROR: Final = PREFIX + "PushMirror"
    REGISTRY_PULL: Final = PREFIX + "RegistryPull"
    DEPLOY_IDENTITY: Final = PREFIX + "DeployIdentity"
    FLEET: Final = PREFIX + "Fleet"
    RUNWAY_DEPLOYMENT: Final = PREFIX + "RunwayDeployment"
    DOCKERHUB_RELEASE: Final = PREFIX + "DockerHubRelease"


# --- what the stack leaves alone on an adopted resource -----------------------------------------

CLOUD_RUN_DEPLOY_OWNED: Final = (
    "buildConfig",
    "client",
    "clientVersion",
    "template.revision",
    'template.annotations["run.googleapis.com/operation-id"]',
    "template.labels",
)
"""What the deploy tools set on a Cloud Run service (the source build, the client gcloud
records, the revision's name, the operation that rolled it out, the revision's labels): the
program ignores changes to them (components/fleet.py), and the policy
`adopted-services-leave-deploy-fields` holds it to that. After GoogleCloudPlatform/
cloud-foundation-fabric `modules/cloud-run-v2/service-unmanaged.tf`. The image is not here:
it is sent live."""


# --- markers of the offline graph ---------------------------------------------------------------

SECRET: Final = "[secret]"  # noqa: S105 (the marker shown instead of a secret)
"""What every offline output (graph, diff, note, error) shows instead of a secret value."""
UNKNOWN: Final = "[unknown]"
"""What the offline graph shows for a value a preview cannot know yet."""


# --- naming -----------------------------------------------------------------------------------


def child_name(component: str, part: str) -> str:
    """A component's child: `<component>-<part>`, from stable keys, never list positions."""
    return f"{component}-{part}"


SERVICE_ACCOUNT_ID_MAX: Final = 30
"""Google Cloud service account ids are 6 to 30 characters."""
RUNTIME_SUFFIX: Final = "-runtime"
DEPLOYER_SUFFIX: Final = "-deployer"


def runtime_account_id(fleet_id: str) -> str:
    """The service account a fleet's services run as."""
    return fleet_id + RUNTIME_SUFFIX


def deployer_account_id(deployment_id: str) -> str:
    """The service account a Runway deployment's pipeline deploys as."""
    return deployment_id + DEPLOYER_SUFFIX


FLEET_ID_MAX: Final = SERVICE_ACCOUNT_ID_MAX - len(RUNTIME_SUFFIX)
DEPLOYMENT_ID_MAX: Final = SERVICE_ACCOUNT_ID_MAX - len(DEPLOYER_SUFFIX)

SERVICE_ACCOUNT_VARIABLE: Final = "RUNWAY_SERVICE_ACCOUNT"
"""The deployment project's CI variable naming the account its pipeline deploys as."""
DOCKERHUB_VARIABLE_PREFIX: Final = "DOCKERHUB_"
"""The prefix of the CI variables that carry the Docker Hub push credentials."""


def trigger_variable(deployment_id: str) -> str:
    """The security project's CI variable holding a deployment's trigger token."""
    return "RUNWAY_TRIGGER_TOKEN_" + deployment_id.upper().replace("-", "_")


# --- provenance: where a stack's last `pulumi up` came from ------------------------------------

PROVENANCE_OUTPUT: Final = "delivery"
"""The stack output `stackctl promote` reads: a `ProvenanceRecord`."""
NOT_FROM_CI: Final = "not applied from CI"
"""Both fields' value when the program did not run in a CI job that set them."""
REVISION_ENV: Final = "CI_COMMIT_SHA"
GRAPH_HASH_ENV: Final = "AIGW_GRAPH_HASH"
PROVENANCE_ENV: Final = (REVISION_ENV, GRAPH_HASH_ENV)


class ProvenanceRecord(TypedDict):
    """The shape of the `delivery` output."""

    revision: str
    graphHash: str


def provenance_record(revision: str, graph_hash: str) -> ProvenanceRecord:
    return {"revision": revision, "graphHash": graph_hash}
