"""The source side's settings: the GitLab instance, the canonical and security projects, their
registries and package, the release naming and the push mirror.

GitLab's own limits, from its Project model (gitlabhq app/models/project.rb, "Validations":
`description` at most 2000 characters, `name` and `path` at most 255 and `name` matching
`Gitlab::Regex.project_name_regex`, lib/gitlab/regex.rb) and its Namespace model (a group's
`path` at most 255 characters, app/models/namespace.rb); project ids are the API's integer
ids, which the provider parses as int64 (terraform-provider-gitlab reads an imported
project's id with `strconv.Atoi`), and GitLab's ids start at 1.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from components.settings.base import Model, environment_of, matching, problems_at
from components.settings.text import Host, HttpsUrl, Paragraphs, at_most, single_line

_GITLAB_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
PATH_PART_MAX = 255
"""A project's or group's `path` (one part of the full path) is at most 255 characters."""
NAME_MAX = 255
DESCRIPTION_MAX = 2000
INT64_MAX = 2**63 - 1


def _gitlab_path(value: str) -> str:
    segments = value.split("/")
    if len(segments) < 2 or not all(_GITLAB_SEGMENT.fullmatch(s) for s in segments):
        raise ValueError(
            "must be a GitLab project path 'group[/subgroup...]/project' of letters, digits, "
            "'_', '-' and '.', each part not starting with '-' or '.'"
        )
    if any(s.endswith((".git", ".atom")) or ".." in s for s in segments):
        raise ValueError("a GitLab path part must not end in '.git' or '.atom' or contain '..'")
    longest = max(len(s) for s in segments)
    if longest > PATH_PART_MAX:
        raise ValueError(
            f"has a part of {longest} characters: GitLab allows at most {PATH_PART_MAX} per "
            "group or project path"
        )
    return value


def _project_name(value: str) -> str:
    """`Gitlab::Regex.project_name_regex`: letters, digits, emoji (U+00A9-U+1F9FF), '_',
    '.', '+', dashes and spaces, starting with a letter, digit, emoji or '_'."""

    def allowed(char: str, first: bool) -> bool:
        if char.isalnum() or char == "_" or 0xA9 <= ord(char) <= 0x1F9FF:
            return True
        return not first and (char in ".+ " or unicodedata.category(char) == "Pd")

    if not value or not all(allowed(c, i == 0) for i, c in enumerate(value)):
        raise ValueError(
            "can contain only letters, digits, emoji, '_', '.', '+', dashes and spaces, and "
            "must start with a letter, digit, emoji or '_' (GitLab's project name rule)"
        )
    return value


_NOT_RE2 = re.compile(r"\(\?[=!>]|\(\?<[=!]|\\[1-9]")
"""Lookaround, atomic groups and backreferences: Python accepts them, RE2 does not
(https://github.com/google/re2/wiki/Syntax, "NOT SUPPORTED")."""


def _regex(value: str) -> str:
    """GitLab validates the cleanup policy's regexes with `untrusted_regexp: true`
    (app/models/container_expiration_policy.rb), that is with RE2 (`Gitlab::UntrustedRegexp`):
    a pattern must compile here *and* use only what RE2 has."""
    single_line(value)
    try:
        re.compile(value)
    except re.error as err:
        raise ValueError(f"must be a valid regular expression ({err})") from err
    if _NOT_RE2.search(value):
        raise ValueError(
            "uses lookaround, an atomic group or a backreference, which GitLab's RE2 "
            "regular expressions do not support"
        )
    return value


def _branch(value: str) -> str:
    """A branch name Git accepts (`git check-ref-format --branch`, the rules of
    https://git-scm.com/docs/git-check-ref-format), in the characters this stack allows."""
    parts = value.split("/")
    if (
        ".." in value
        or "//" in value
        or value.startswith(("/", "-"))
        or value.endswith(("/", ".", ".lock"))
        or value == "@"
        or "@{" in value
        or any(p.startswith(".") or p.endswith(".lock") for p in parts)
    ):
        raise ValueError(
            "must be a branch name Git accepts: no '..', '//', '@{', no part starting with "
            "'.' or ending in '.lock', not starting with '/' or '-' nor ending in '/' or '.'"
        )
    return value


GitLabPath = Annotated[str, AfterValidator(_gitlab_path)]
# GitLab wildcards: '*' matches anything. A pattern must describe release tags
# self-hosted-vX.Y.Z-ee (or stable branches stable-X-Y-ee) and nothing wider.
TagPattern = Annotated[
    str,
    matching(
        r"self-hosted-v(\d+|\*)(\.(\d+|\*)){0,2}-ee",
        "must be a release tag pattern of the form self-hosted-vX.Y.Z-ee, "
        "where parts may be '*' (for example 'self-hosted-v*-ee')",
    ),
]
BranchPattern = Annotated[
    str,
    matching(
        r"stable-(\d+|\*)(-(\d+|\*))?-ee",
        "must be a stable branch pattern of the form stable-X-Y-ee, "
        "where parts may be '*' (for example 'stable-*-ee')",
    ),
]
Regex = Annotated[str, AfterValidator(_regex)]
RegistryName = Literal["security", "canonical"]
"""Which source project's container registry: the security one, or the canonical one
(non-production deployments only, diagram note 8)."""
ProtectionLevel = Literal["maintainer", "owner", "admin"]


class GitLabSettings(Model):
    """The GitLab instance: where mirrors push and registries live."""

    url: HttpsUrl = "https://gitlab.com"
    registry_host: Host = "registry.gitlab.com"


class ProjectSettings(Model):
    """One GitLab project: adopted by import where its part exists (`existing`), by `importId`
    when set and by its full `path` otherwise (`components/projects.py`); created elsewhere."""

    path: GitLabPath
    name: Annotated[str, Field(max_length=NAME_MAX), AfterValidator(_project_name)] | None = None
    description: (
        Annotated[Paragraphs, at_most(DESCRIPTION_MAX, "GitLab's limit for a description")] | None
    ) = None
    visibility: Literal["private", "internal", "public"]
    import_id: Annotated[int, Field(gt=0, le=INT64_MAX)] | None = None

    @property
    def namespace(self) -> str:
        return self.path.rsplit("/", 1)[0]

    @property
    def slug(self) -> str:
        return self.path.rsplit("/", 1)[1]


class CleanupPolicy(Model):
    """The container registry cleanup policy; the values GitLab's API accepts."""

    enabled: bool = True
    cadence: Literal["1d", "7d", "14d", "1month", "3month"] = "1d"
    keep_n: Literal[1, 5, 10, 25, 50, 100] = 10
    older_than: Literal["7d", "14d", "30d", "60d", "90d"] = "30d"
    name_regex_delete: Annotated[
        Regex, matching(r"(?s).+", "must not be empty while the cleanup policy is enabled")
    ] = ".*"
    """Required by GitLab while the policy is enabled (`validates :name_regex, presence`)."""
    name_regex_keep: Regex = ""


class RegistrySettings(Model):
    """The container registry both projects build `model-gateway` into."""

    repository: Annotated[
        str,
        matching(
            r"[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*",
            "must be a container repository name: lowercase letters, digits, '.', '_', '-'",
        ),
    ] = "model-gateway"
    push_access_level: ProtectionLevel = "maintainer"
    delete_access_level: ProtectionLevel = "maintainer"
    cleanup: CleanupPolicy = CleanupPolicy()


class PackageSettings(Model):
    """The npm package published to the canonical project's registry and who installs it."""

    name: Annotated[
        str,
        matching(
            r"@[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._-]*",
            "must be a scoped npm package name '@scope/name' in lowercase",
        ),
        at_most(214, "npm's limit for a package name, scope included (validate-npm-package-name)"),
    ] = "@gitlab-org/duo-workflow-service"
    type: Literal["npm"] = "npm"
    push_access_level: ProtectionLevel = "maintainer"
    delete_access_level: ProtectionLevel = "maintainer"
    registry_access_level: Literal["enabled", "public"] = "public"
    consumer: GitLabPath = "gitlab-org/editor-extensions/gitlab-lsp"


class SourceSettings(Model):
    """The canonical project and its security mirror, and what hangs on them."""

    canonical: ProjectSettings
    security: ProjectSettings
    default_branch: Annotated[
        str, Field(pattern=r"^[A-Za-z0-9._/-]+$"), AfterValidator(_branch)
    ] = "main"
    registry: RegistrySettings = RegistrySettings()
    package: PackageSettings = PackageSettings()

    @field_validator("canonical", "security")
    @classmethod
    def _prod_pins_ids(cls, value: ProjectSettings, info: ValidationInfo) -> ProjectSettings:
        """Their ids are known and stable where a path can move: prod adopts them by id."""
        if value.import_id is None and environment_of(info) == "prod":
            at = ("source", str(info.field_name), "importId")
            rule = "prod adopts existing projects: set the numeric GitLab project id to import"
            raise problems_at([(at, None, rule)])
        return value

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


class ReleaseSettings(Model):
    """The release naming: protected tags push to Docker Hub, stable branches carry fixes."""

    tag_pattern: TagPattern = "self-hosted-v*-ee"
    stable_branch_pattern: BranchPattern = "stable-*-ee"


class MirrorSettings(Model):
    """The push mirror from canonical to security and its token, renewed every
    `tokenExpirationDays - rotateBeforeDays` days (`components/mirror.py`)."""

    token_expiration_days: Annotated[int, Field(ge=7, le=365)] = 90
    rotate_before_days: Annotated[int, Field(ge=1, le=90)] = 14
    only_protected_branches: bool = True
    keep_divergent_refs: bool = True
    """Always true. With false GitLab overwrites refs of the security project that diverge
    from canonical and removes refs canonical does not have: the security project's `main`
    and stable branches carry unreleased security fixes (gitlab-org/gitaly#2452,
    gitlab-org/gitlab#207416; GitLab's `doc/user/project/repository/mirror/push.md`, "Keep
    divergent refs"; the provider's `docs/resources/project_push_mirror.md`: "If you manually
    set `keep_divergent_refs` to `False`, GitLab mirroring removes branches in the target
    that aren't in the source"). The key stays so that a stack file saying `false` is
    refused by name instead of being ignored."""

    @field_validator("keep_divergent_refs")
    @classmethod
    def _keeps_divergent_refs(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError(
                "must be true: with false the mirror overwrites the security project's "
                "diverged branches (unreleased security fixes) with canonical's"
            )
        return value

    @field_validator("rotate_before_days")
    @classmethod
    def _before_expiry(cls, value: int, info: ValidationInfo) -> int:
        expiry = info.data.get("token_expiration_days")
        if expiry is not None and value >= expiry:
            raise ValueError(f"must be less than tokenExpirationDays ({expiry})")
        return value

    @property
    def renewal_days(self) -> int:
        """How often a new token replaces the one in use: it then has `rotateBeforeDays`
        left, the margin for an `up` to run."""
        return self.token_expiration_days - self.rotate_before_days
