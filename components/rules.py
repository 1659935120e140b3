"""The class-wide rules of the stack, each stated once, as a stack transform.

A rule that holds for every resource of a kind is not repeated at each resource: it is a
stack transform (`pulumi.runtime.register_resource_transform`), which the engine runs on every
registration after the resource's own transforms and its parents' (pulumi/pulumi,
pkg/resource/deploy/source_eval.go, `RegisterResource`), so a resource added later of a
covered kind is covered without anyone remembering to. `__main__.py` registers them before
it builds anything. The rules:

- **kept in prod**: projects, Docker Hub repositories, the federation pool and its provider,
  the registries' remote repositories and the load balancers' global addresses cannot be
  re-created without harm (a repository's history, customers' pulls, an id Google Cloud keeps
  for 30 days after deletion, the IP address DNS points at): in prod they are protected and
  survive a delete (`retain_on_delete`).
- **managed by**: every description the program writes on a described kind says so, as its
  last sentence (`MANAGED_BY`). Three descriptions say more about how they are managed (the
  mirror token is renewed by `pulumi up`, one per period; the services' images are rolled
  out by Runway; the Docker Hub password is set with `dockerhubToken`): they write
  `MANAGED_BY; <how>.` themselves
  and the rule leaves a description that already names its manager as it is, so the text on
  prod's live resources stays byte for byte what it was.
- **labelled by part**: the Google Cloud resources that take labels carry the part of the
  delivery diagram they belong to (`part`: the component's kind, `registry-pull`, `fleet`).
  What every resource carries (`managed-by`, `stack`) is the Google Cloud provider's
  `default_labels` (components/providers.py), not a rule here.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import pulumi

from contract import DOCKERHUB_REPOSITORY, Component, Gcp, GitLab

MANAGER = "aigw-delivery"
"""Who manages the resources: the name descriptions and labels give."""
MANAGED_BY = f"Managed by {MANAGER}"

KEPT = frozenset(
    {
        GitLab.PROJECT,
        DOCKERHUB_REPOSITORY,
        Gcp.WIF_POOL,
        Gcp.WIF_PROVIDER,
        Gcp.REPOSITORY,
        Gcp.GLOBAL_ADDRESS,
    }
)
"""What in prod is protected and retained on delete."""

DESCRIBED = frozenset(
    {
        GitLab.ACCESS_TOKEN,
        GitLab.PIPELINE_TRIGGER,
        GitLab.VARIABLE,
        Gcp.REPOSITORY,
        Gcp.SERVICE_ACCOUNT,
        Gcp.SERVICE,
        Gcp.BACKEND_SERVICE,
        Gcp.GLOBAL_ADDRESS,
        Gcp.WIF_POOL,
    }
)
"""Whose description ends with `MANAGED_BY`. Not GitLab projects (their descriptions are the
stack's config) and not the federation provider (its description never said it, and
changing prod's live text is not this rule's business)."""

LABELLED = frozenset(
    {Gcp.SECRET, Gcp.REPOSITORY, Gcp.SERVICE, Gcp.GLOBAL_ADDRESS, Gcp.FORWARDING_RULE}
)
"""The Google Cloud kinds the program registers that take `labels` (pulumi-gcp 10.2)."""
PART_LABEL = "part"

Rule = Callable[[pulumi.ResourceTransformArgs], Any]


def rules(production: bool) -> list[Rule]:
    """The stack's rules, in the order they run."""
    return [*([kept_in_prod] if production else []), managed_by, labelled_by_part]


def register(production: bool) -> None:
    """Register the rules as one stack transform, before the first resource, so all see every
    resource. One transform running the rules in order, not one per rule: the engine makes a
    callback into the program per transform and resource, and the rules' order is the
    same either way."""
    chain = rules(production)

    async def stack_rules(
        args: pulumi.ResourceTransformArgs,
    ) -> pulumi.ResourceTransformResult | None:
        changed = False
        for rule in chain:
            result = rule(args)
            if inspect.isawaitable(result):
                result = await result
            if result is not None:
                changed = True
                args = pulumi.ResourceTransformArgs(
                    args.custom, args.type_, args.name, result.props, result.opts or args.opts
                )
        return pulumi.ResourceTransformResult(args.props, args.opts) if changed else None

    pulumi.runtime.register_resource_transform(stack_rules)


def kept_in_prod(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    if args.type_ not in KEPT:
        return None
    opts = pulumi.ResourceOptions.merge(
        args.opts, pulumi.ResourceOptions(protect=True, retain_on_delete=True)
    )
    return pulumi.ResourceTransformResult(args.props, opts)


def managed_by(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    description = args.props.get("description")
    if args.type_ not in DESCRIBED or not isinstance(description, str):
        return None
    if MANAGED_BY in description:
        return None  # it says how it is managed, in its own words (module docstring)
    props = {**args.props, "description": f"{description} {MANAGED_BY}."}
    return pulumi.ResourceTransformResult(props, args.opts)


async def labelled_by_part(
    args: pulumi.ResourceTransformArgs,
) -> pulumi.ResourceTransformResult | None:
    if args.type_ not in LABELLED or args.opts.parent is None:
        return None
    parent_urn = await args.opts.parent.urn.future()
    part = part_of(parent_urn or "")
    if part is None:
        return None
    given = args.props.get("labels")
    labels = {**(given if isinstance(given, dict) else {}), PART_LABEL: part}
    return pulumi.ResourceTransformResult({**args.props, "labels": labels}, args.opts)


def part_of(component_urn: str) -> str | None:
    """The part of the diagram a component's URN names: its kind, kebab-cased
    (`aigw:delivery:RegistryPull` -> `registry-pull`); None for anything else."""
    type_chain = component_urn.split("::")[2] if component_urn.count("::") >= 3 else ""
    kind = type_chain.rsplit("$", 1)[-1]
    if not kind.startswith(Component.PREFIX):
        return None
    return re.sub(r"(?<!^)(?=[A-Z])", "-", kind.removeprefix(Component.PREFIX)).lower()
