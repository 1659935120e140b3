"""The GitLab projects the delivery builds from: canonical and security.

Both carry the same protections: `main`, the stable branches and the release tags are
protected (the security project cuts security releases from its own stable branches and
holds the Docker Hub credentials, so its release tags need the same protection), and both
build `model-gateway` into a protected container repository with a cleanup policy. The
canonical project also publishes the npm package that GitLab-LSP installs.
"""

from __future__ import annotations

import pulumi

from components import adoption
from components.base import DeliveryComponent
from components.light import gitlab
from components.projects import gitlab_project, project_ref
from components.settings import (
    GitLabSettings,
    PackageSettings,
    ProjectSettings,
    ReleaseSettings,
    SourceSettings,
)


class SourceProject(DeliveryComponent):
    """A GitLab project with its protected refs, container registry and (optionally) the
    package registry. In prod the project is adopted by import and can never be deleted."""

    def __init__(
        self,
        name: str,
        project: ProjectSettings,
        *,
        source: SourceSettings,
        release: ReleaseSettings,
        gitlab_settings: GitLabSettings,
        production: bool,
        adopt: bool,
        package: PackageSettings | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("SourceProject", name, opts)
        self.settings = project
        self.package_settings = package
        self.gitlab_url = gitlab_settings.url
        self.web_url = f"{gitlab_settings.url}/{project.path}"
        self.image = f"{gitlab_settings.registry_host}/{project.path}/{source.registry.repository}"
        cleanup = source.registry.cleanup
        expiration: gitlab.ProjectContainerExpirationPolicyArgsDict = {
            "enabled": cleanup.enabled,
            "cadence": cleanup.cadence,
            "keep_n": cleanup.keep_n,
            "older_than": cleanup.older_than,
            "name_regex_delete": cleanup.name_regex_delete,
        }
        if cleanup.name_regex_keep:
            # Left out, not null, when unset: a null in a nested object is sent as one.
            expiration["name_regex_keep"] = cleanup.name_regex_keep
        # Where the project exists, its protections do too: adopted by `<project>:<ref>`.
        ref = project_ref(project) if adopt else None
        self.adopted_as = ref
        """How import ids name this project, where it exists; None: it is created."""

        self.project = gitlab_project(
            self,
            project,
            adopt=adopt,
            default_branch=source.default_branch,
            container_registry_access_level="enabled",
            container_expiration_policy=expiration,
            packages_enabled=True if package else None,
            package_registry_access_level=package.registry_access_level if package else None,
        )

        # Merges only by maintainers, pushes only by maintainers (the security project's
        # push mirror pushes as a maintainer-level project bot), never a force push.
        self.protected_branches = [
            gitlab.BranchProtection(
                self.child(part),
                project=self.project.id,
                branch=branch,
                push_access_level="maintainer",
                merge_access_level="maintainer",
                allow_force_push=False,
                opts=self.child_opts(
                    import_=ref and adoption.branch_protection(ref, branch),
                ),
            )
            for part, branch in (
                ("main", source.default_branch),
                ("stable-branches", release.stable_branch_pattern),
            )
        ]
        self.release_tags = gitlab.TagProtection(
            self.child("release-tags"),
            project=self.project.id,
            tag=release.tag_pattern,
            create_access_level="maintainer",
            opts=self.child_opts(import_=ref and adoption.tag_protection(ref, release.tag_pattern)),
        )
        self.registry_protection = gitlab.ProjectContainerRepositoryProtection(
            self.child("registry-protection"),
            project=self.project.id,
            repository_path_pattern=f"{project.path}/{source.registry.repository}",
            minimum_access_level_for_push=source.registry.push_access_level,
            minimum_access_level_for_delete=source.registry.delete_access_level,
            opts=self.child_opts(),
        )
        self.package_protection = (
            gitlab.ProjectPackageProtectionRule(
                self.child("package-protection"),
                project=self.project.id,
                package_name_pattern=package.name,
                package_type=package.type,
                minimum_access_level_for_push=package.push_access_level,
                minimum_access_level_for_delete=package.delete_access_level,
                opts=self.child_opts(),
            )
            if package
            else None
        )
        self.register_outputs({"id": self.project.id, "path": project.path, "image": self.image})

    @property
    def npm_registry(self) -> pulumi.Output[str]:
        """The npm registry URL a consumer (GitLab-LSP) installs the package from."""
        return pulumi.Output.concat(
            self.gitlab_url, "/api/v4/projects/", self.project.id, "/packages/npm/"
        )
