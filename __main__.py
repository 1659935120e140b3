"""aigw-delivery: the delivery of the AI Gateway and the Duo Workflow Service as one graph.

Built in the order of the delivery diagram (DESIGN.md section 1): the source projects, the
push mirror between them, then what the later parts hang on them, up to the release edge that
pushes protected release tags to Docker Hub.
"""

import pulumi

from components.mirror import PushMirror
from components.release import DockerHubRelease
from components.settings import dockerhub_push_token, load_settings
from components.source import SourceProject

settings = load_settings()
source = settings.source

canonical = SourceProject(
    "canonical",
    source.canonical,
    source=source,
    release=settings.release,
    gitlab_settings=settings.gitlab,
    production=settings.production,
    package=source.package,
)
security = SourceProject(
    "security",
    source.security,
    source=source,
    release=settings.release,
    gitlab_settings=settings.gitlab,
    production=settings.production,
)
mirror = PushMirror("mirror", source=canonical, target=security, settings=settings.mirror)
dockerhub = DockerHubRelease(
    "dockerhub",
    settings.dockerhub,
    push_token=dockerhub_push_token(settings),
    projects=[canonical, security],
    release=settings.release,
    production=settings.production,
)

pulumi.export("environment", settings.environment)
for name, project in (("canonicalProject", canonical), ("securityProject", security)):
    pulumi.export(
        name, {"id": project.project.id, "path": project.settings.path, "webUrl": project.web_url}
    )
pulumi.export(
    "pushMirror",
    {
        "id": mirror.mirror.id,
        "from": canonical.settings.path,
        "to": security.settings.path,
        "onlyProtectedBranches": settings.mirror.only_protected_branches,
    },
)
pulumi.export("containerRegistries", {"canonical": canonical.image, "security": security.image})
pulumi.export(
    "packageRegistry",
    {
        "package": source.package.name,
        "project": canonical.settings.path,
        "npmRegistry": canonical.npm_registry,
        "consumer": source.package.consumer,
    },
)
pulumi.export("dockerHubRepositories", dockerhub.pull_references)
