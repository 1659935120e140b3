"""`stackctl check`: the policy pack over the offline graph, as `pulumi preview --policy-pack`
runs it.

Nothing here re-implements a rule: the policies are the pack's own objects (`policy.delivery`),
called with the policy SDK's own argument types. What this module does is the part the Pulumi
CLI and the SDK's analyzer server do around them, kept as close to them as the versions pinned
in requirements.txt allow:

- policy config: read as the CLI reads it (`stackctl.policy_config`);
- properties: what the engine sends (`MarshalProperties` with `KeepUnknowns`, `KeepSecrets`,
  `SkipInternalKeys`: unknowns as the SDK's sentinel, no `__`-prefixed keys, numbers through
  a protobuf `Struct`), decoded as the SDK decodes them and wrapped in its unknown-checking
  proxy (`_PolicyAnalyzerServicer.Analyze`);
- outcomes: a policy that reads an unknown value is reported as an advisory "can't run during
  preview" note, keeping what it reported before; disabled policies are skipped; remediate
  counts as mandatory; `args.not_applicable()` is honoured.

Two things the offline graph knows and the analyzer protocol cannot carry are passed as extra
attributes of the resource options, which policies read with `getattr` (absent under the CLI):
`retain_on_delete`, and `secret_properties`, the inputs that are Pulumi secrets. A secret's
value itself is never shown offline: it reaches a policy as an unknown value (the engine
records `"[secret]"`), where the CLI would hand the policy its plaintext.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from pathlib import Path
from typing import Any, Literal

from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from contract import SECRET, UNKNOWN
from policy.delivery import POLICIES, pack_arguments
from stackctl.engine import Graph, Resource
from stackctl.errors import StackctlError
from stackctl.policy_config import POLICY_DIR, PolicySettings


class CheckError(StackctlError):
    """A policy failed while it ran (a bug in the pack, not a violation)."""


# --- what the engine sends a policy pack ---------------------------------------------------


class GraphResourceOptions(PolicyResourceOptions):
    """The analyzer's resource options, plus what the offline graph knows beyond them."""

    def __init__(
        self,
        protect: bool,
        parent: str | None,
        retain_on_delete: bool,
        secret_properties: frozenset[str],
        ignore_changes: tuple[str, ...] = (),
    ) -> None:
        super().__init__(
            protect, list(ignore_changes), None, [], PolicyCustomTimeouts(0, 0, 0), [], parent
        )
        self.retain_on_delete = retain_on_delete
        self.secret_properties = secret_properties


def marshal_properties(inputs: Mapping[str, Any]) -> struct_pb2.Struct:
    """A resource's recorded inputs as the engine marshals them for an analyzer."""
    struct = struct_pb2.Struct()
    struct.update(_marshal(inputs))
    return struct


def _marshal(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _marshal(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [_marshal(v) for v in value]
    if value in (UNKNOWN, SECRET):
        return UNKNOWN_STRING_VALUE
    return value


def policy_properties(inputs: Mapping[str, Any]) -> Mapping[str, Any]:
    """The properties a policy sees: decoded as the SDK decodes them, behind its proxy."""
    raw = json_format.MessageToDict(marshal_properties(inputs))
    return unknown_checking_proxy(deserialize_properties(raw))


def resource_options(resource: Resource) -> GraphResourceOptions:
    secret = frozenset(k for k, v in resource.inputs.items() if _holds(v, SECRET))
    return GraphResourceOptions(
        resource.protect,
        resource.parent,
        resource.retain_on_delete,
        secret,
        resource.ignore_changes,
    )


def _holds(value: Any, marker: str) -> bool:
    if isinstance(value, Mapping):
        return any(_holds(v, marker) for v in value.values())
    if isinstance(value, list):
        return any(_holds(v, marker) for v in value)
    return bool(value == marker)


def resource_args(resource: Resource, settings: PolicySettings) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        resource.type,
        policy_properties(resource.inputs),
        resource.urn,
        resource.name,
        resource_options(resource),
        None,
        dict(settings.properties),
    )


def stack_resources(graph: Graph) -> list[PolicyResource]:
    """The graph as a stack policy sees it: parents and dependencies linked as objects."""
    resources = {
        r.urn: PolicyResource(
            r.type,
            policy_properties(r.inputs),
            r.urn,
            r.name,
            resource_options(r),
            None,
            None,
            [],
            {},
        )
        for r in graph.resources
    }
    for r in graph.resources:
        linked = resources[r.urn]
        linked.parent = resources.get(r.parent) if r.parent else None
        linked.dependencies = [resources[d] for d in r.dependencies if d in resources]
        linked.property_dependencies = {
            prop: [resources[d] for d in urns if d in resources]
            for prop, urns in r.property_dependencies.items()
            if urns  # the engine leaves out properties without dependencies
        }
    return list(resources.values())


# --- running the pack ------------------------------------------------------------------------

Kind = Literal["violation", "not checked"]


@dataclass(frozen=True)
class Finding:
    """A violation, or a note that a policy could not finish on unknown values."""

    policy: str
    level: EnforcementLevel
    kind: Kind
    message: str
    urn: str | None
    resource_type: str | None
    resource_name: str | None


@dataclass(frozen=True)
class CheckReport:
    stack: str
    config_file: Path | None
    policies: int
    resources: int
    findings: tuple[Finding, ...]

    def count(self, kind: Kind, level: EnforcementLevel | None = None) -> int:
        return sum(1 for f in self.findings if f.kind == kind and level in (None, f.level))

    @property
    def failed(self) -> bool:
        return self.count("violation", EnforcementLevel.MANDATORY) > 0


def check_graph(
    graph: Graph,
    settings: Mapping[str, PolicySettings],
    policies: Sequence[Policy] = POLICIES,
    config_file: Path | None = None,
) -> CheckReport:
    """Run every policy over `graph`: resource policies on each resource, stack policies once."""
    findings: list[Finding] = []
    by_urn = {r.urn: r for r in graph.resources}
    stack = stack_resources(graph)
    for policy in policies:
        level = settings[policy.name].enforcement
        if level == EnforcementLevel.DISABLED:
            continue
        if level == EnforcementLevel.REMEDIATE:
            level = EnforcementLevel.MANDATORY
        if isinstance(policy, ResourceValidationPolicy):
            for resource in graph.resources:
                args = resource_args(resource, settings[policy.name])
                findings += _run(policy, level, args, resource, by_urn)
        elif isinstance(policy, StackValidationPolicy):
            args_ = StackValidationArgs(stack, dict(settings[policy.name].properties))
            findings += _run(policy, level, args_, None, by_urn)
    return CheckReport(
        graph.stack,
        config_file,
        len(policies),
        len(graph.resources),
        tuple(sorted(findings, key=_order)),
    )


def _run(
    policy: ResourceValidationPolicy | StackValidationPolicy,
    level: EnforcementLevel,
    args: Any,
    resource: Resource | None,
    by_urn: Mapping[str, Resource],
) -> list[Finding]:
    found: list[Finding] = []

    def finding(kind: Kind, level: EnforcementLevel, message: str, urn: str | None) -> Finding:
        target = resource or (by_urn.get(urn) if urn else None)
        return Finding(
            policy.name,
            level,
            kind,
            message,
            target.urn if target else urn,
            target.type if target else None,
            target.name if target else None,
        )

    def report(message: str, urn: str | None = None) -> None:
        found.append(finding("violation", level, message, urn))

    try:
        result = policy.validate(args, report)
        if isawaitable(result):
            asyncio.run(_awaited(result))
    except UnknownValueError as err:
        note = f"can't run policy '{policy.name}' during preview: {err.message}"
        found.append(finding("not checked", EnforcementLevel.ADVISORY, note, None))
    except _NotApplicableError:
        pass
    except Exception as err:
        where = f" on {resource.urn}" if resource else ""
        raise CheckError(
            f"policy {policy.name} failed{where}: {type(err).__name__}: {err}"
        ) from err
    return found


async def _awaited(result: Any) -> None:
    await result


def _order(f: Finding) -> tuple[int, int, str, str]:
    rank = {EnforcementLevel.MANDATORY: 0, EnforcementLevel.ADVISORY: 1}
    return (f.kind != "violation", rank.get(f.level, 2), f.policy, f.urn or "")


# --- the report a reviewer reads ---------------------------------------------------------------


def render(report: CheckReport) -> str:
    config = (
        _relative(report.config_file)
        if report.config_file
        else "none: the pack's defaults, production's rules"
    )
    lines = [
        f"policy pack {pack_arguments()['name']} · stack {report.stack} · "
        f"{report.policies} policies over {report.resources} resources · config {config}",
    ]
    for f in report.findings:
        label = f.level.value if f.kind == "violation" else "not checked"
        lines.append("")
        lines.append(f"{label}  {f.policy}")
        if f.urn:
            lines.append(f"  {f.resource_type} {f.resource_name}")
            lines.append(f"  {f.urn}")
        else:
            lines.append("  the stack as a whole")
        lines.extend(f"  {line}" for line in f.message.splitlines())
    mandatory = report.count("violation", EnforcementLevel.MANDATORY)
    advisory = report.count("violation", EnforcementLevel.ADVISORY)
    unchecked = report.count("not checked")
    lines.append("")
    lines.append(
        f"{'FAILED' if report.failed else 'passed'}: {_n(mandatory, 'mandatory violation')}, "
        f"{_n(advisory, 'advisory violation')}, "
        f"{_n(unchecked, 'policy run')} not finished on values unknown before the update"
    )
    return "\n".join(lines)


def _n(count: int, what: str) -> str:
    return f"{count} {what}{'' if count == 1 else 's'}"


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(POLICY_DIR.parent))
    except ValueError:
        return str(path)
