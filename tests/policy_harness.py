"""Running policies in tests: on hand-built graphs, offline as `stackctl check` does, and
through the policy SDK's own analyzer server, as the Pulumi CLI does.

Hand-built resources use the engine's `Resource` record, so that they reach a policy through
the same conversion as a real stack's (unknown values, secrets, numbers, internal keys).
`RealAnalyzer` drives `pulumi_policy`'s private `_PolicyAnalyzerServicer` with the protobuf
messages the engine would send, without starting its gRPC server: the path `pulumi preview
--policy-pack` takes, minus the process boundary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, Policy
from pulumi_policy.policy import _PolicyAnalyzerServicer

from policy.delivery import PACK_NAME, POLICIES
from stackctl.check import CheckReport, Finding, check_graph, marshal_properties
from stackctl.engine import UNKNOWN, Graph, Resource
from stackctl.policy_config import PolicySettings, load_policy_config

STACK = "test"
__all__ = ["UNKNOWN", "RealAnalyzer", "graph", "resource", "run", "violations"]


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::aigw-delivery::{type_}::{name}"


def resource(
    type_: str,
    name: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    protect: bool = False,
    retain: bool = False,
    deps: Mapping[str, Sequence[Resource]] | None = None,
) -> Resource:
    """A registration as the engine records it; `deps` maps an input to its source resources."""
    property_dependencies = {k: tuple(r.urn for r in v) for k, v in (deps or {}).items()}
    return Resource(
        urn=urn(type_, name),
        type=type_,
        name=name,
        parent=None,
        custom=True,
        inputs=dict(inputs or {}),
        dependencies=tuple(sorted({u for v in property_dependencies.values() for u in v})),
        property_dependencies=property_dependencies,
        protect=protect,
        retain_on_delete=retain,
        import_id=None,
    )


def graph(*resources: Resource) -> Graph:
    return Graph(project="aigw-delivery", stack=STACK, resources=resources, outputs={})


def settings(
    config: Mapping[str, Mapping[str, Any]] | None = None, policies: Sequence[Policy] = POLICIES
) -> dict[str, PolicySettings]:
    """Each policy's settings: its defaults, with `config[policy]` properties over them."""
    loaded = load_policy_config(None, policies)
    for name, properties in (config or {}).items():
        loaded[name] = PolicySettings(
            loaded[name].enforcement, {**loaded[name].properties, **properties}
        )
    return loaded


def run(
    policy: Policy, *resources: Resource, config: Mapping[str, Any] | None = None
) -> CheckReport:
    """One policy over a hand-built graph, as `stackctl check` runs it."""
    return check_graph(graph(*resources), settings({policy.name: config or {}}, [policy]), [policy])


def violations(
    policy: Policy, *resources: Resource, config: Mapping[str, Any] | None = None
) -> list[tuple[str, str]]:
    """(resource name, message) of each violation of `policy`."""
    return [
        (f.resource_name or "stack", f.message)
        for f in run(policy, *resources, config=config).findings
        if f.kind == "violation"
    ]


def not_checked(
    policy: Policy, *resources: Resource, config: Mapping[str, Any] | None = None
) -> list[str]:
    return [
        f.message for f in run(policy, *resources, config=config).findings if f.kind != "violation"
    ]


# --- the real analyzer -------------------------------------------------------------------------

_LEVELS = {
    EnforcementLevel.ADVISORY: analyzer_pb2.ADVISORY,
    EnforcementLevel.MANDATORY: analyzer_pb2.MANDATORY,
    EnforcementLevel.REMEDIATE: analyzer_pb2.REMEDIATE,
    EnforcementLevel.DISABLED: analyzer_pb2.DISABLED,
}
_LEVEL_NAMES = {v: k for k, v in _LEVELS.items()}


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    urn: str
    level: EnforcementLevel
    message: str


def _options(resource: Resource) -> analyzer_pb2.AnalyzerResourceOptions:
    """What the engine sends with a resource (pulumi/pulumi `proto/pulumi/analyzer.proto`)."""
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        ignoreChanges=list(resource.ignore_changes),
        deleteBeforeReplace=bool(resource.delete_before_replace),
        deleteBeforeReplaceDefined=resource.delete_before_replace is not None,
        additionalSecretOutputs=list(resource.additional_secret_outputs),
        parent=resource.parent or "",
    )


class RealAnalyzer:
    """The policy SDK's analyzer server, configured as the CLI configures it."""

    def __init__(
        self,
        config: Mapping[str, PolicySettings],
        policies: Sequence[Policy] = POLICIES,
    ) -> None:
        servicer: Any = _PolicyAnalyzerServicer(
            PACK_NAME, "0.0.1", list(policies), EnforcementLevel.MANDATORY
        )
        self.servicer = servicer
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, setting in config.items():
            request.policyConfig[name].enforcementLevel = _LEVELS[setting.enforcement]
            request.policyConfig[name].properties.update(dict(setting.properties))
        self.servicer.Configure(request, None)

    def analyze(
        self, resource: Resource, properties: struct_pb2.Struct | None = None
    ) -> list[Diagnostic]:
        """`Analyze` for one resource; `properties` replaces its marshalled inputs."""
        request = analyzer_pb2.AnalyzeRequest(
            type=resource.type,
            properties=properties or marshal_properties(resource.inputs),
            urn=resource.urn,
            name=resource.name,
            options=_options(resource),
        )
        return self._diagnostics(self.servicer.Analyze(request, None), resource.urn)

    def analyze_stack(self, stack: Graph) -> list[Diagnostic]:
        request = analyzer_pb2.AnalyzeStackRequest()
        for r in stack.resources:
            item = request.resources.add(
                type=r.type,
                properties=marshal_properties(r.inputs),
                urn=r.urn,
                name=r.name,
                options=_options(r),
                parent=r.parent or "",
                dependencies=list(r.dependencies),
            )
            for prop, urns in r.property_dependencies.items():
                if urns:
                    item.propertyDependencies[prop].urns.extend(urns)
        return self._diagnostics(self.servicer.AnalyzeStack(request, None), "")

    def analyze_all(self, stack: Graph) -> list[Diagnostic]:
        """What a preview of `stack` reports: every resource, then the stack."""
        found = [d for r in stack.resources for d in self.analyze(r)]
        return found + self.analyze_stack(stack)

    def _diagnostics(self, response: Any, default_urn: str) -> list[Diagnostic]:
        return [
            Diagnostic(
                d.policyName, d.urn or default_urn, _LEVEL_NAMES[d.enforcementLevel], d.message
            )
            for d in response.diagnostics
        ]


def as_diagnostics(findings: Sequence[Finding], policies: Sequence[Policy] = POLICIES) -> set[Any]:
    """`stackctl check`'s findings in the analyzer's terms, to compare the two paths: a
    violation's message is the policy's description, a newline, then the reason; a note is
    advisory and names the unknown value."""
    described = {p.name: p.description for p in policies}
    return {
        (
            f.policy,
            f.urn or "",
            f.level,
            f"{described[f.policy]}\n{f.message}" if f.kind == "violation" else "not checked",
        )
        for f in findings
    }


def diagnostics_set(found: Sequence[Diagnostic]) -> set[Any]:
    return {
        (
            d.policy,
            d.urn,
            d.level,
            "not checked" if d.message.startswith("can't run policy") else d.message,
        )
        for d in found
    }
