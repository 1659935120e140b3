"""GitLab projects of the diagram, created or adopted by one rule.

Where the project's part exists (`existing.source`, `existing.runway`) it is adopted by
import: by the `importId` its settings give, else by its full path (the project import
takes whatever `GET /projects/:id` takes, the id or the URL-encoded path: pulumi_gitlab
10.4.0, `Project`'s `## Import`). No id is looked up, so the adoption plan
(`stackctl graph --format imports`) is known offline. An adopted project keeps what the
stack does not set (its name, its namespace). An import whose inputs differ from the live
project is not refused (since Pulumi v3.174.0, pulumi/pulumi#19339): it is imported, then
updated to the stack's inputs in the same `pulumi up`, so the preview is where a
difference shows. A created project goes into its namespace (looked up by path). Either
way, destroying the stack archives it instead of deleting it, and in prod it is protected
and survives a delete (components/rules.py).
"""

from __future__ import annotations

from typing import Any

import pulumi

from components import adoption
from components.base import DeliveryComponent
from components.light import gitlab
from components.settings import ProjectSettings


def gitlab_project(
    owner: DeliveryComponent, project: ProjectSettings, *, adopt: bool, **inputs: Any
) -> gitlab.Project:
    """The `<owner>-project` child of `owner`; `inputs` are the part-specific settings."""
    import_id = project_ref(project) if adopt else None
    adopted = import_id is not None
    return gitlab.Project(
        owner.child("project"),
        # An adopted project keeps what the stack does not set; a new one is named after its
        # path.
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


def project_ref(project: ProjectSettings) -> str:
    """How an existing project is named in import ids: its pinned id, else its full path."""
    return adoption.gitlab_project(
        str(project.import_id) if project.import_id is not None else project.path
    )
