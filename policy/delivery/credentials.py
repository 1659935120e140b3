"""Credentials in CI: CI variables that hold them are masked, protected and hidden, and a
project that holds Docker Hub credentials protects the release tags that may use them.

Messages never quote a value that may be a credential: under the Pulumi CLI a policy sees
secrets in plaintext, and a message ends up in CI logs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from .graph import project_refs, sources
from .kinds import CI_VARIABLES, CREDENTIAL_SOURCES, PROJECT, PROJECT_VARIABLE, TAG_PROTECTION
from .reading import UNKNOWN, Reader, setting, show

MANDATORY = EnforcementLevel.MANDATORY

# --- CI variables that hold credentials ------------------------------------------------------

CREDENTIALS_CONFIG = PolicyConfigSchema(
    properties={
        "credentialKeyPattern": {
            "type": "string",
            "description": "A regular expression (case-insensitive, searched) for the keys of "
            "CI variables that hold credentials.",
            # A user name is not a credential: DOCKERHUB_USERNAME is the public namespace
            # (GitLab could not even mask `gitlab`, under 8 characters); its password is.
            "default": r"(^|_)(TOKEN|PASSWORD|PASSWD|PASS|SECRET|CREDENTIALS?|PRIVATE_KEY"
            r"|API_KEY|ACCESS_KEY)(_|$)",
        },
    }
)

_CREDENTIAL_SHAPE = re.compile(
    r"^(glpat|glptt|gldt|glrt|glsoat|glcbt|glimt|glagent|gloas|glffct)-"
    r"|^(dckr_pat_|dckr_oat_|ghp_|gho_|github_pat_|xox[abpr]-)"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----|\"private_key\"\s*:"
)


def credential_reason(variable: PolicyResource, key_pattern: re.Pattern[str]) -> str | None:
    """Why a CI variable holds a credential, or None if nothing says it does.

    Four signals, each visible where the others may not be:
    - its key names a credential (`DOCKERHUB_PASSWORD`, `..._TOKEN`): always visible;
    - its value is built from a resource whose outputs are credentials (a trigger, an access
      or deploy token, a service account key): an edge of the graph, visible even while the
      value is unknown;
    - its value is a Pulumi secret: `stackctl check` knows this from the graph; the analyzer
      protocol does not carry it (the CLI hands secrets to a policy in plaintext);
    - its value looks like a token (`glpat-...`, `dckr_pat_...`, a private key): visible to the
      CLI once the value is known.
    A value that cannot be seen is judged by the other signals, never read as "unknown".
    """
    key = Reader().get(variable.props, "key")
    if isinstance(key, str) and key_pattern.search(key):
        return f"its key {key} names a credential"
    for source in sources(variable, "value"):
        if source.resource_type in CREDENTIAL_SOURCES:
            return f"its value comes from {source.resource_type} {source.name}"
    if "value" in getattr(variable.opts, "secret_properties", ()):
        return "its value is a Pulumi secret"
    value = Reader().get(variable.props, "value")
    if isinstance(value, str) and _CREDENTIAL_SHAPE.search(value):
        return "its value has the shape of a token or key"
    return None


def _ci_credentials(args: StackValidationArgs, report: ReportViolation) -> None:
    pattern = re.compile(setting(args, CREDENTIALS_CONFIG, "credentialKeyPattern"), re.IGNORECASE)
    reader = Reader()
    for variable in args.resources:
        hideable = CI_VARIABLES.get(variable.resource_type)
        if hideable is None:
            continue
        reason = credential_reason(variable, pattern)
        if reason is None:
            continue
        required = ("masked", "protected", "hidden") if hideable else ("masked", "protected")
        flags = {flag: reader.get(variable.props, flag) for flag in required}
        missing = [f for f, v in flags.items() if v is not UNKNOWN and v is not True]
        if missing:
            key = Reader().get(variable.props, "key")
            report(
                f"CI variable {key if isinstance(key, str) else variable.name} holds a "
                f"credential ({reason}) and must be {', '.join(required)}: "
                + ", ".join(f"{f} is {show(flags[f])}" for f in missing),
                variable.urn,
            )
    reader.finish()


ci_credentials_masked = StackValidationPolicy(
    name="ci-credentials-masked-protected-hidden",
    description="Every CI variable that holds a credential is masked, protected and hidden.",
    validate=_ci_credentials,
    enforcement_level=MANDATORY,
    config_schema=CREDENTIALS_CONFIG,
    remediation_steps="Set masked, protected and hidden to true on the variable.",
)

# --- release tags where Docker Hub credentials live ----------------------------------------------

RELEASE_CONFIG = PolicyConfigSchema(
    properties={
        "releaseTagPattern": {
            "type": "string",
            "description": "The GitLab wildcard of the release tags that push to Docker Hub.",
            "default": "self-hosted-v*-ee",
        },
        "dockerhubVariablePrefix": {
            "type": "string",
            "description": "The key prefix of the CI variables that carry Docker Hub credentials.",
            "default": "DOCKERHUB_",
        },
    }
)
_WEAK_TAG_CREATORS = frozenset({"developer"})


def covers(protected: str, pattern: str) -> bool:
    """Whether the GitLab wildcard `protected` matches every tag `pattern` matches.

    Checked by matching `pattern` itself, its `*` taken literally: `*` and `self-hosted-*`
    cover `self-hosted-v*-ee`, `self-hosted-v1*-ee` does not.
    """
    regex = ".*".join(re.escape(part) for part in protected.split("*"))
    return re.fullmatch(regex, pattern) is not None


def _release_tags_protected(args: StackValidationArgs, report: ReportViolation) -> None:
    pattern = setting(args, RELEASE_CONFIG, "releaseTagPattern")
    prefix = setting(args, RELEASE_CONFIG, "dockerhubVariablePrefix")
    reader = Reader()
    protections = [r for r in args.resources if r.resource_type == TAG_PROTECTION]
    guarded: list[frozenset[str]] = []
    anywhere = False  # a protection whose project is unknown might be on any project
    for protection in protections:
        tag = reader.get(protection.props, "tag")
        creators = reader.get(protection.props, "createAccessLevel")
        refs = project_refs(protection, reader)
        if refs is None:
            anywhere = True
        elif tag is UNKNOWN or creators is UNKNOWN:
            guarded.append(refs)  # cannot judge it yet: the analyzer notes that
        elif isinstance(tag, str) and covers(tag, pattern) and creators not in _WEAK_TAG_CREATORS:
            guarded.append(refs)
    for key, variable, refs in _credential_variables(args.resources, prefix, reader):
        if anywhere or any(refs & g for g in guarded):
            continue
        project = _project_named(variable)
        report(
            f"{project} holds Docker Hub credentials ({key}) but does not protect its release "
            f"tags: add a TagProtection for {pattern!r} with createAccessLevel maintainer, so "
            "that only maintainers can create the tags whose pipelines push to Docker Hub",
            variable.urn,
        )
    reader.finish()


def _credential_variables(
    resources: Iterable[PolicyResource], prefix: str, reader: Reader
) -> Iterable[tuple[str, PolicyResource, frozenset[str]]]:
    """The project CI variables named `prefix...`, one per project, with the project's refs."""
    seen: list[frozenset[str]] = []
    for variable in resources:
        if variable.resource_type != PROJECT_VARIABLE:
            continue
        key = reader.get(variable.props, "key")
        if not isinstance(key, str) or not key.startswith(prefix):
            continue
        refs = project_refs(variable, reader)
        if refs is None or any(refs & s for s in seen):
            continue
        seen.append(refs)
        yield key, variable, refs


def _project_named(variable: PolicyResource) -> str:
    projects = [p for p in sources(variable, "project") if p.resource_type == PROJECT]
    return f"project {projects[0].name}" if projects else f"the project of {variable.name}"


release_tags_protected = StackValidationPolicy(
    name="release-tags-protected-with-dockerhub-credentials",
    description="A project that holds Docker Hub credentials protects its release tags.",
    validate=_release_tags_protected,
    enforcement_level=MANDATORY,
    config_schema=RELEASE_CONFIG,
)

POLICIES = [ci_credentials_masked, release_tags_protected]
