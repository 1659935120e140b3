"""Typed settings: the only module that reads `pulumi.Config`.

Every config key of the project is validated here, all at once, before the program registers
a single resource: a bad value fails the run with one message that names each key (as a
`pulumi config set --path` path), the offending value and the rule it breaks.

One secret comes from elsewhere when the stack has none: the Docker Hub push token is secret
config (`dockerhubToken`) or, failing that, `DOCKERHUB_TOKEN` in the environment of `pulumi up`;
it is read here too, so that the rest of the program only ever sees a secret Output.

Settings check the *form* of the config: types, formats, ranges and how values fit together
(a prod stack adopts its projects, a tag pattern follows the release naming). Whether the
resulting graph is *safe* (the security project private, the mirror limited to protected
branches) is the policy pack's job (`policy/`), so that the same invariant is checked once,
on the graph, whatever config produced it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Collection, Mapping
from typing import Annotated, Any, Literal, cast

import pulumi
from pulumi.output import UNKNOWN
from pulumi.runtime import config as runtime_config
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

from components import dockerhub_api

PROJECT = "aigw-delivery"
ENVIRONMENTS = ("staging", "prod")
TOKEN_KEY = "dockerhubToken"  # noqa: S105 (the name of the config key, not a token)
"""The Docker Hub push token: secret config, else `DOCKERHUB_TOKEN` from the environment."""
TOKEN_ENV = dockerhub_api.ENV_TOKEN


class SettingsError(pulumi.RunError):
    """The stack's config is invalid. A `RunError`, so the CLI prints it without a traceback."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"invalid configuration for {PROJECT} ({count}):\n" + "\n".join(problems))


# --- value rules ---------------------------------------------------------------------------

_GITLAB_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def _gitlab_path(value: str) -> str:
    segments = value.split("/")
    if len(segments) < 2 or not all(_GITLAB_SEGMENT.match(s) for s in segments):
        raise ValueError(
            "must be a GitLab project path 'group[/subgroup...]/project' of letters, digits, "
            "'_', '-' and '.', each part not starting with '-' or '.'"
        )
    if any(s.endswith((".git", ".atom")) or ".." in s for s in segments):
        raise ValueError("a GitLab path part must not end in '.git' or '.atom' or contain '..'")
    return value


def _tag_pattern(value: str) -> str:
    # GitLab wildcards: '*' matches anything. The pattern must describe release tags
    # self-hosted-vX.Y.Z-ee and nothing wider.
    if not re.fullmatch(r"self-hosted-v(\d+|\*)(\.(\d+|\*)){0,2}-ee", value):
        raise ValueError(
            "must be a release tag pattern of the form self-hosted-vX.Y.Z-ee, "
            "where parts may be '*' (for example 'self-hosted-v*-ee')"
        )
    return value


def _branch_pattern(value: str) -> str:
    if not re.fullmatch(r"stable-(\d+|\*)(-(\d+|\*))?-ee", value):
        raise ValueError(
            "must be a stable branch pattern of the form stable-X-Y-ee, "
            "where parts may be '*' (for example 'stable-*-ee')"
        )
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as err:
        raise ValueError(f"must be a valid regular expression ({err})") from err
    return value


def _container_repository(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*", value):
        raise ValueError(
            "must be a container repository name: lowercase letters, digits, '.', '_', '-'"
        )
    return value


def _npm_package(value: str) -> str:
    if not re.fullmatch(r"@[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._-]*", value):
        raise ValueError("must be a scoped npm package name '@scope/name' in lowercase")
    return value


def _https_url(value: str) -> str:
    if not re.fullmatch(r"https://[A-Za-z0-9.-]+(:\d+)?", value):
        raise ValueError(
            "must be an https:// URL with a host and no path, for example https://gitlab.com"
        )
    return value


def _hostname(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?", value):
        raise ValueError("must be a host name, for example registry.gitlab.com")
    return value


def _dockerhub_namespace(value: str) -> str:
    problem = dockerhub_api.namespace_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _dockerhub_repository(value: str) -> str:
    problem = dockerhub_api.repository_problem(value)
    if problem:
        raise ValueError(problem)
    return value


GitLabPath = Annotated[str, AfterValidator(_gitlab_path)]
TagPattern = Annotated[str, AfterValidator(_tag_pattern)]
BranchPattern = Annotated[str, AfterValidator(_branch_pattern)]
Regex = Annotated[str, AfterValidator(_regex)]
ProtectionLevel = Literal["maintainer", "owner", "admin"]


class _Model(BaseModel):
    """Strict, camelCase, closed: a typo in a key or a string where a number belongs fails."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        alias_generator=to_camel,
        populate_by_name=True,
    )


def _environment(info: ValidationInfo) -> str | None:
    return (info.context or {}).get("environment")


# --- the parts of the diagram -------------------------------------------------------------


class GitLabSettings(_Model):
    """The GitLab instance: where mirrors push and registries live."""

    url: Annotated[str, AfterValidator(_https_url)] = "https://gitlab.com"
    registry_host: Annotated[str, AfterValidator(_hostname)] = "registry.gitlab.com"


class ProjectSettings(_Model):
    """One GitLab project: created by the stack, or adopted by import where `importId` is set."""

    path: GitLabPath
    name: str | None = None
    description: str | None = None
    visibility: Literal["private", "internal", "public"]
    import_id: Annotated[int, Field(gt=0)] | None = Field(default=None, validate_default=True)

    @field_validator("import_id")
    @classmethod
    def _prod_adopts(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None and _environment(info) == "prod":
            raise ValueError(
                "prod adopts existing projects: set the numeric GitLab project id to import"
            )
        return value

    @property
    def namespace(self) -> str:
        return self.path.rsplit("/", 1)[0]

    @property
    def slug(self) -> str:
        return self.path.rsplit("/", 1)[1]

    @property
    def adopted(self) -> bool:
        return self.import_id is not None


class CleanupPolicy(_Model):
    """The container registry cleanup policy; the values GitLab's API accepts."""

    enabled: bool = True
    cadence: Literal["1d", "7d", "14d", "1month", "3month"] = "1d"
    keep_n: Literal[1, 5, 10, 25, 50, 100] = 10
    older_than: Literal["7d", "14d", "30d", "60d", "90d"] = "30d"
    name_regex_delete: Regex = ".*"
    name_regex_keep: Regex = ""


class RegistrySettings(_Model):
    """The container registry both projects build `model-gateway` into."""

    repository: Annotated[str, AfterValidator(_container_repository)] = "model-gateway"
    push_access_level: ProtectionLevel = "maintainer"
    delete_access_level: ProtectionLevel = "maintainer"
    cleanup: CleanupPolicy = CleanupPolicy()


class PackageSettings(_Model):
    """The npm package published to the canonical project's registry and who installs it."""

    name: Annotated[str, AfterValidator(_npm_package)] = "@gitlab-org/duo-workflow-service"
    type: Literal["npm"] = "npm"
    push_access_level: ProtectionLevel = "maintainer"
    delete_access_level: ProtectionLevel = "maintainer"
    registry_access_level: Literal["enabled", "public"] = "public"
    consumer: GitLabPath = "gitlab-org/editor-extensions/gitlab-lsp"


class SourceSettings(_Model):
    """The canonical project and its security mirror, and what hangs on them."""

    canonical: ProjectSettings
    security: ProjectSettings
    default_branch: Annotated[str, Field(pattern=r"^[A-Za-z0-9._/-]+$")] = "main"
    registry: RegistrySettings = RegistrySettings()
    package: PackageSettings = PackageSettings()

    @field_validator("security")
    @classmethod
    def _distinct(cls, value: ProjectSettings, info: ValidationInfo) -> ProjectSettings:
        canonical = info.data.get("canonical")
        if canonical is not None and canonical.path == value.path:
            raise ValueError(
                "the security project must be a different project from the canonical one"
            )
        if canonical is not None and value.import_id and canonical.import_id == value.import_id:
            raise ValueError("the security project's importId is the canonical project's")
        return value


class ReleaseSettings(_Model):
    """The release naming: protected tags push to Docker Hub, stable branches carry fixes."""

    tag_pattern: TagPattern = "self-hosted-v*-ee"
    stable_branch_pattern: BranchPattern = "stable-*-ee"


class MirrorSettings(_Model):
    """The push mirror from canonical to security and its rotating token."""

    token_expiration_days: Annotated[int, Field(ge=7, le=365)] = 90
    rotate_before_days: Annotated[int, Field(ge=1, le=90)] = 14
    only_protected_branches: bool = True
    keep_divergent_refs: bool = False

    @field_validator("rotate_before_days")
    @classmethod
    def _before_expiry(cls, value: int, info: ValidationInfo) -> int:
        expiry = info.data.get("token_expiration_days")
        if expiry is not None and value >= expiry:
            raise ValueError(f"must be less than tokenExpirationDays ({expiry})")
        return value


class DockerHubRepositorySettings(_Model):
    """One Docker Hub repository. A description left unset is not managed: adopting a live
    repository then keeps the description it has."""

    name: Annotated[str, AfterValidator(_dockerhub_repository)] | None = None
    short_description: (
        Annotated[str, Field(max_length=dockerhub_api.SHORT_DESCRIPTION_MAX)] | None
    ) = None
    full_description: (
        Annotated[str, Field(max_length=dockerhub_api.FULL_DESCRIPTION_MAX)] | None
    ) = None
    visibility: Literal["public", "private"] = "public"


class DockerHubSettings(_Model):
    """The Docker Hub end of the release edge: where protected release tags push, and as whom.

    Repositories are keyed by a stable name (the key names the resource; `name` defaults to
    it), so renaming a repository on Docker Hub is a change of `name`, not a new resource."""

    namespace: Annotated[str, AfterValidator(_dockerhub_namespace)]
    username: Annotated[str, AfterValidator(_dockerhub_namespace)]
    """The account the release jobs log in as (`DOCKERHUB_USERNAME`): a Docker ID with a
    personal access token, or the organization itself with an organization access token."""
    repositories: Annotated[dict[str, DockerHubRepositorySettings], Field(min_length=1)]

    @field_validator("repositories")
    @classmethod
    def _keys_and_names(
        cls, value: dict[str, DockerHubRepositorySettings]
    ) -> dict[str, DockerHubRepositorySettings]:
        for key in value:
            problem = dockerhub_api.repository_problem(key)
            if problem:
                raise ValueError(
                    f"the key {key!r} names a resource and defaults the name: {problem}"
                )
        names = [repo.name or key for key, repo in value.items()]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"two repositories are both named {', '.join(twice)}")
        return value

    def repository_name(self, key: str) -> str:
        return self.repositories[key].name or key

    def pull_reference(self, key: str) -> str:
        return dockerhub_api.pull_reference(self.namespace, self.repository_name(key))


class Settings(_Model):
    """All of the stack's config, validated."""

    environment: Literal["staging", "prod"]
    gitlab: GitLabSettings = GitLabSettings()
    source: SourceSettings
    release: ReleaseSettings = ReleaseSettings()
    mirror: MirrorSettings = MirrorSettings()
    dockerhub: DockerHubSettings
    dockerhub_token: SecretStr | None = None
    """The push token (`dockerhubToken` or `DOCKERHUB_TOKEN`), resolved by `parse_settings`;
    None only in a preview that has neither. Hand it on with `dockerhub_push_token`."""

    @property
    def production(self) -> bool:
        return self.environment == "prod"


# --- reading and reporting ----------------------------------------------------------------


def load_settings() -> Settings:
    """Read this project's config from the running Pulumi program and validate it."""
    config = pulumi.Config(PROJECT)
    prefix = f"{PROJECT}:"
    names = sorted(k[len(prefix) :] for k in _config_keys() if k.startswith(prefix))
    raw = {name: config.get(name) for name in names}
    secret = {name for name in names if runtime_config.is_config_secret(prefix + name)}
    return parse_settings(raw, secret, environ=os.environ, dry_run=pulumi.runtime.is_dry_run())


def _config_keys() -> set[str]:
    """Every config key the program was given. The SDK has no public listing: the CLI passes
    config in `PULUMI_CONFIG`, tests and the offline engine through `set_all_config`."""
    return set(runtime_config.get_config_env()) | set(runtime_config.CONFIG.get())


def parse_settings(
    raw: Mapping[str, str | None],
    secret: Collection[str] = (),
    *,
    environ: Mapping[str, str] | None = None,
    dry_run: bool = True,
) -> Settings:
    """Validate config strings (objects as JSON, as the SDK hands them over) into `Settings`.

    `environ` supplies `DOCKERHUB_TOKEN` when `dockerhubToken` is not set; `dry_run` says
    whether the program runs as a preview, which may do without the token."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    token, token_problems = _push_token(raw.get(TOKEN_KEY), TOKEN_KEY in secret, environ, dry_run)
    problems.extend(token_problems)
    if token is not None:
        values[TOKEN_KEY] = token
    for name, text in raw.items():
        if name == TOKEN_KEY:
            continue
        if text is None:
            continue
        field = Settings.model_fields.get(_snake(name))
        if field is not None and _is_structured(field.annotation):
            try:
                values[name] = json.loads(text)
            except ValueError as err:
                problems.append(
                    _line(
                        name,
                        "",
                        "[secret]" if name in secret else text,
                        f"must be a structured value (JSON/YAML object): {err}",
                    )
                )
                continue
        else:
            values[name] = text
    environment = values.get("environment")
    context = {"environment": environment if environment in ENVIRONMENTS else None}
    try:
        settings = Settings.model_validate(values, context=context)
    except ValidationError as err:
        problems.extend(_describe(e, {*secret, TOKEN_KEY}) for e in err.errors())
        settings = None
    if problems or settings is None:
        raise SettingsError(problems)
    return settings


def _push_token(
    configured: str | None,
    is_secret: bool,
    environ: Mapping[str, str] | None,
    dry_run: bool,
) -> tuple[str | None, list[str]]:
    """The Docker Hub push token: secret config first, then the environment. Its value never
    appears in a problem, wherever it came from."""
    if configured:
        if not is_secret:
            return None, [
                _line(
                    TOKEN_KEY,
                    "",
                    None,
                    "is not a secret: a token in plain text (in a stack file, on a command line) "
                    f"is a leak; set it with `pulumi config set --secret {PROJECT}:{TOKEN_KEY}`",
                )
            ]
        problem = _maskable(configured)
        return configured, [_line(TOKEN_KEY, "", "[secret]", problem)] if problem else []
    from_env = (environ or {}).get(TOKEN_ENV)
    if from_env:
        problem = _maskable(from_env)
        return from_env, [f"  - {TOKEN_ENV} (environment) = [secret]: {problem}"] if problem else []
    if dry_run:
        return None, []  # a preview shows the variable with an unknown secret value
    return None, [
        _line(
            TOKEN_KEY,
            "",
            None,
            f"is not set and {TOKEN_ENV} is not in the environment: `pulumi up` needs the Docker "
            "Hub push token for the DOCKERHUB_PASSWORD CI variables; set it with "
            f"`pulumi config set --secret {PROJECT}:{TOKEN_KEY}` or export {TOKEN_ENV}",
        )
    ]


def _maskable(token: str) -> str | None:
    """GitLab masks (and so can hide) only values of 8 or more characters without whitespace."""
    if len(token) < 8 or any(c.isspace() for c in token):
        return (
            "must be at least 8 characters without whitespace, or GitLab cannot mask and hide "
            "the DOCKERHUB_PASSWORD variable"
        )
    return None


def dockerhub_push_token(settings: Settings) -> pulumi.Output[str]:
    """The push token as a secret Output for the CI variables. In a preview without one, an
    unknown secret: the preview (and `stackctl graph`) shows the variable, `pulumi up` refused
    in `parse_settings` already."""
    if settings.dockerhub_token is None:
        return pulumi.Output.secret(cast(str, UNKNOWN))
    return pulumi.Output.secret(settings.dockerhub_token.get_secret_value())


def _describe(error: Any, secret: Collection[str]) -> str:
    loc = error["loc"]
    top = str(loc[0]) if loc else ""
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{_alias(p)}" for p in loc[1:])
    kind = error["type"]
    if kind == "missing":
        return _line(top, path, None, "is required but not set")
    if kind == "extra_forbidden":
        known = ", ".join(_known_keys(loc[:-1]))
        return _line(top, path, None, f"is not a known setting (known here: {known})")
    value = "[secret]" if top in secret else error.get("input")
    message = str(error["msg"]).removeprefix("Value error, ")
    return _line(top, path, value, message)


def _alias(part: str) -> str:
    """Pydantic names a defaulted field by its Python name; the config key is camelCase."""
    return to_camel(part) if re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", part) else part


def _line(top: str, path: str, value: Any, rule: str) -> str:
    shown = "" if value is None else f" = {_short(value)}"
    return f"  - {PROJECT}:{top}{path}{shown}: {rule}"


def _short(value: Any) -> str:
    text = value if value == "[secret]" else json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    model: Any = Settings
    key_next = False  # after a mapping of models (repositories), the next part is its key
    for part in loc:
        if isinstance(part, int) or key_next:
            key_next = False
            continue
        field = next(
            (f for n, f in model.model_fields.items() if f.alias == part or n == part), None
        )
        inner = _model_in(field.annotation) if field else None
        if field is None or inner is None:
            return []
        key_next = getattr(field.annotation, "__origin__", None) is dict
        model = inner
    return sorted(f.alias or n for n, f in model.model_fields.items())


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _is_structured(annotation: Any) -> bool:
    return _model_in(annotation) is not None or getattr(annotation, "__origin__", None) in (
        list,
        dict,
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
