"""GitLab projects of the diagram, created or adopted by one rule.

A project whose settings give an `importId` is adopted: it keeps what the stack does not set
(its name, its namespace), and Pulumi refuses the import if an input differs from the live
project. A project without one is created in its namespace (looked up by path). Either way,
destroying the stack archives it instead of deleting it, and in prod it is protected and
survives a delete.
"""

from __future__ import annotations

from typing import Any

import pulumi_gitlab as gitlab

from components.base import DeliveryComponent
from components.settings import ProjectSettings


def gitlab_project(
    owner: DeliveryComponent, project: ProjectSettings, *, production: bool, **inputs: Any
) -> gitlab.Project:
    """The `<owner>-project` child of `owner`; `inputs` are the part-specific settings."""
    adopted = project.adopted
    return gitlab.Project(
        owner.child("project"),
        # An adopted project keeps what the stack does not set; a new one is named after its
        # path. Import fails on any input that differs from the live project.
        name=project.name or (None if adopted else project.slug),
        path=project.slug,
        # An adopted project keeps its namespace; only a new one needs it looked up.
        namespace_id=None
        if adopted
        else gitlab.get_group_output(full_path=project.namespace).group_id,
        description=project.description,
        visibility_level=project.visibility,
        initialize_with_readme=None if adopted else True,
        # Destroying the stack must never delete a repository: archive it instead.
        archive_on_destroy=True,
        opts=owner.keep_opts(production, import_=str(project.import_id) if adopted else None),
        **inputs,
    )
