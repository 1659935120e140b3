"""GitLab projects of the diagram, created or adopted by one rule.

Prod adopts the projects that exist; staging creates fresh ones. A project is adopted by the
`importId` its settings give, or, in prod without one, by the id GitLab reports for its path
(looked up when the program runs, so no id is guessed in a stack file; `pulumi preview`
shows the id it imports, worth pinning as `importId` once seen). An adopted project keeps
what the stack does not set (its name, its namespace), and Pulumi refuses the import if an
input differs from the live project. A created project goes into its namespace (looked up
by path). Either way, destroying the stack archives it instead of deleting it, and in prod it
is protected and survives a delete (components/rules.py). The lookups are invokes of the
owner's GitLab provider (`InvokeOptions(parent=owner)`).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gitlab as gitlab

from components.base import DeliveryComponent
from components.settings import ProjectSettings


def gitlab_project(
    owner: DeliveryComponent, project: ProjectSettings, *, production: bool, **inputs: Any
) -> gitlab.Project:
    """The `<owner>-project` child of `owner`; `inputs` are the part-specific settings."""
    import_id = adoption_id(owner, project, production=production)
    adopted = import_id is not None
    return gitlab.Project(
        owner.child("project"),
        # An adopted project keeps what the stack does not set; a new one is named after its
        # path. Import fails on any input that differs from the live project.
        name=project.name or (None if adopted else project.slug),
        path=project.slug,
        # An adopted project keeps its namespace; only a new one needs it looked up.
        namespace_id=None
        if adopted
        else gitlab.get_group_output(
            full_path=project.namespace, opts=pulumi.InvokeOutputOptions(parent=owner)
        ).group_id,
        description=project.description,
        visibility_level=project.visibility,
        initialize_with_readme=None if adopted else True,
        # Destroying the stack must never delete a repository: archive it instead.
        archive_on_destroy=True,
        opts=owner.child_opts(import_=import_id),
        **inputs,
    )


def adoption_id(
    owner: DeliveryComponent, project: ProjectSettings, *, production: bool
) -> str | None:
    """The id `project` is adopted by, or None when the stack creates it."""
    if project.import_id is not None:
        return str(project.import_id)
    if not production:
        return None
    found = gitlab.get_project(
        path_with_namespace=project.path, opts=pulumi.InvokeOptions(parent=owner)
    )
    return str(found.id)
