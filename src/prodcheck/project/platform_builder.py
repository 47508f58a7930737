"""How each platform file becomes processes, health checks and connection limits (`PlatformBuilder`).

render.yaml, fly.toml, railway.json / railway.toml, heroku.yml and app.json each have a reader here; Helm charts
add theirs through the same builder (`charts.helm_model`). The entry points that walk the project's platform files
are in `platforms.py`.
"""
from __future__ import annotations

import posixpath
from dataclasses import field
from typing import TYPE_CHECKING, Any

from prodcheck.model.facts import LITERAL, TOOL_DEFAULT, Fact
from prodcheck.model.finding import Location, Span
from prodcheck.parsing import small_int
from prodcheck.parsing.shell import SimpleCommand
from prodcheck.project.infra import Process
from prodcheck.project.platform_docs import Doc
from prodcheck.project.sources import SourceFile
from prodcheck.model.record import record, slotted

if TYPE_CHECKING:
    from prodcheck.parsing.dockerfile import DockerfileView
    from prodcheck.project import Project


_DEFAULT_SCALE = {
    "fly": "1 machine (`fly scale count` is not in fly.toml)",
    "heroku": "1 dyno (no formation in app.json)",
    "helm": "1 replica (default)",
}


@record
class PlatformCheck:
    """A health check a platform (or a Helm chart) runs against the app."""

    kind: str  # platform | liveness | readiness | startup
    platform: str  # fly | render | railway | helm
    path: str
    port: str | None
    location: Location
    process: Process | None
    owner: str


@slotted
class PlatformModel:
    processes: list[Process] = field(default_factory=list)
    checks: list[PlatformCheck] = field(default_factory=list)
    dockerfiles: set[str] = field(default_factory=set)  # Dockerfiles a platform builds and runs
    formation: dict[str, Fact[int]] = field(default_factory=dict)  # Heroku process type -> dynos (app.json)
    heroku_env: dict[str, tuple[str, Location]] = field(default_factory=dict)
    # The managed PostgreSQL plan a platform file declares, as its connection limit: by `render:<path>` of
    # the render.yaml, or `heroku:<folder>` of the app.json (its Procfile's processes use it)
    managed_limits: dict[str, Fact[int]] = field(default_factory=dict)


# ---------------------------------------------------------------- building processes


class PlatformBuilder:
    """Adds what each platform file says to a `PlatformModel`: one method per file format."""

    def __init__(self, project: Project, model: PlatformModel) -> None:
        self.project = project
        self.model = model

    def dockerfile(self, base_dir: str, path: str | None) -> tuple[SourceFile, DockerfileView] | None:
        folder, name = (posixpath.split(path) if path else ("", None))
        source = self.project.dockerfile_for(base_dir, folder or ".", name)
        view = self.project.dockerfile(source) if source is not None else None
        return (source, view) if source is not None and view is not None else None

    def process(self, doc: Doc, name: str, role: str, commands: list[SimpleCommand], origin: Location,
                platform: str, *, dockerfile: tuple[SourceFile, DockerfileView] | None = None,
                replicas: Fact[int] | None = None, env: dict[str, tuple[str, Location]] | None = None,
                workdir: str = "") -> Process:
        source = doc.source
        steps = []
        written = bool(commands)
        env = dict(env or {})
        if dockerfile is not None:  # (a release command is given no Dockerfile: it runs no image CMD)
            steps = self.project.dockerfile_steps(dockerfile[0], dockerfile[1], None,
                                                  (commands, source) if commands else None)
            stage = dockerfile[1].stage(None)
            if stage is not None:
                for key, (value, instruction) in dockerfile[1].env(stage).items():
                    env.setdefault(key, (value, Location(dockerfile[0].path, Span(instruction.line))))
            self.model.dockerfiles.add(dockerfile[0].path)
        if not steps and commands:
            steps = self.project.process_model.expand(commands, source, [], workdir)
        replicas = replicas or Fact(1, origin, TOOL_DEFAULT, _DEFAULT_SCALE.get(platform, "1 instance (default)"))
        process = Process(
            name=f"{source.path}:{name}", origin=origin, kind="platform", role=role, context=source.context,
            steps=steps, env=env, replicas=replicas, unit=f"{platform}:{source.path}",
            dockerfile=dockerfile[0].path if dockerfile is not None else None, file=source, command_written=written,
        )
        self.model.processes.append(process)
        return process

    def check(self, platform: str, doc: Doc, path_key: tuple[str | int, ...], process: Process | None,
              owner: str, port: str | None = None) -> None:
        path = doc.value(*path_key)
        if isinstance(path, str) and path.startswith("/"):
            self.model.checks.append(PlatformCheck("platform", platform, path, port, doc.location(*path_key),
                                                   process, owner))

    # ------------------------------------------------------------ render.yaml

    def managed_limit(self, key: str, platform: str, plan: str, where: Location) -> None:
        """A managed database plan the file declares (databases.toml [managed_plans]): its max_connections."""
        from prodcheck.knowledge.databases import managed_plan_limits

        limit = managed_plan_limits().get(platform, {}).get(plan.strip().lower())
        if limit is not None:
            self.model.managed_limits[key] = Fact(limit, where, LITERAL, f"{limit} max_connections ({platform} plan `{plan}`)")

    def render(self, doc: Doc) -> None:
        services = doc.value("services")
        base_dir = posixpath.dirname(doc.source.path)
        databases = [d for d in items(doc.value("databases")) if isinstance(d, dict)]
        if len(databases) == 1 and isinstance(databases[0].get("plan"), str):
            self.managed_limit(f"render:{doc.source.path}", "render", databases[0]["plan"],
                               doc.location("databases", 0, "plan"))
        for position, service in enumerate(services if isinstance(services, list) else []):
            if not isinstance(service, dict):
                continue
            name = str(service.get("name") or f"service-{position}")
            kind = str(service.get("type") or "web")
            if kind in {"redis", "keyvalue"}:
                continue
            role = {"web": "web", "pserv": "web", "worker": "worker", "cron": "job"}.get(kind, "worker")
            runtime = str(service.get("runtime") or service.get("env") or "")
            root = str(service.get("rootDir") or "")
            docker = None
            if runtime == "docker":
                docker = self.dockerfile(posixpath.join(base_dir, root) if root else base_dir,
                                         str(service.get("dockerfilePath") or "Dockerfile").removeprefix("./"))
            command_key = "dockerCommand" if runtime == "docker" else "startCommand"
            commands = doc.commands("services", position, command_key)
            origin_key = command_key if service.get(command_key) is not None else "name"
            origin = doc.location("services", position, origin_key)
            replicas = (doc.int_fact("instances (render autoscaling maxInstances)", "services", position, "scaling",
                                     "maxInstances")
                        or doc.int_fact("instances (render numInstances)", "services", position, "numInstances"))
            env: dict[str, tuple[str, Location]] = {}
            variables = service.get("envVars")
            for index, item in enumerate(variables if isinstance(variables, list) else []):
                if isinstance(item, dict) and item.get("key") and isinstance(item.get("value"), (str, int)):
                    env[str(item["key"])] = (str(item["value"]), doc.location("services", position, "envVars", index, "value"))
            if commands or docker is not None:
                process = self.process(doc, name, role, commands, origin, "render", dockerfile=docker,
                                       replicas=replicas, env=env, workdir=root)
            else:
                process = None
            release = doc.commands("services", position, "preDeployCommand")
            if release:
                self.process(doc, f"{name}:preDeploy", "release", release,
                             doc.location("services", position, "preDeployCommand"), "render", env=env, workdir=root)
            if role == "web":
                self.check("render", doc, ("services", position, "healthCheckPath"), process,
                           f"Render service `{name}`")

    # ------------------------------------------------------------ fly.toml

    def fly(self, doc: Doc) -> None:
        base_dir = posixpath.dirname(doc.source.path)
        build = doc.value("build") or {}
        docker = None
        if isinstance(build, dict) and not build.get("image") and not build.get("builder"):
            docker = self.dockerfile(base_dir, str(build.get("dockerfile") or "Dockerfile"))
        env = self._toml_env(doc, "env")
        web_names: set[str] = set()
        for section in ("http_service",):
            names = doc.value(section, "processes")
            web_names.update(names if isinstance(names, list) else (["app"] if doc.value(section) is not None else []))
        services = doc.value("services")
        for service in services if isinstance(services, list) else []:
            names = service.get("processes") if isinstance(service, dict) else None
            web_names.update(names if isinstance(names, list) else ["app"])
        processes: dict[str, Process] = {}
        table = doc.value("processes")
        if isinstance(table, dict) and table:
            for name in table:
                role = "web" if name in web_names or (not web_names and name in {"app", "web"}) else "worker"
                processes[name] = self.process(doc, name, role, doc.commands("processes", name),
                                               doc.location("processes", name), "fly", dockerfile=docker, env=env)
        else:
            commands = doc.commands("experimental", "cmd") if doc.value("experimental", "cmd") else []
            if docker is not None or commands:
                origin = doc.location("experimental", "cmd") if commands else doc.location("app")
                processes["app"] = self.process(doc, "app", "web", commands, origin, "fly", dockerfile=docker, env=env)
        release = doc.commands("deploy", "release_command")
        if release:
            self.process(doc, "release_command", "release", release, doc.location("deploy", "release_command"),
                         "fly", env=env)
        app_name = doc.value("app") or "app"

        def target(names: Any) -> Process | None:
            if isinstance(names, list) and names:
                return processes.get(str(names[0]))
            return processes.get("app") or (next(iter(processes.values())) if len(processes) == 1 else None)

        http = doc.value("http_service")
        if isinstance(http, dict):
            port = str(http.get("internal_port")) if http.get("internal_port") is not None else None
            for index, _ in enumerate(items(http.get("checks"))):
                self.check("fly", doc, ("http_service", "checks", index, "path"), target(http.get("processes")),
                           f"Fly app `{app_name}`", port)
        for position, service in enumerate(services if isinstance(services, list) else []):
            if not isinstance(service, dict):
                continue
            port = str(service.get("internal_port")) if service.get("internal_port") is not None else None
            for index, _ in enumerate(items(service.get("http_checks"))):
                self.check("fly", doc, ("services", position, "http_checks", index, "path"),
                           target(service.get("processes")), f"Fly app `{app_name}`", port)
        checks = doc.value("checks")
        for name, check in (checks.items() if isinstance(checks, dict) else []):
            if isinstance(check, dict) and check.get("type", "http") == "http" and check.get("path"):
                port = str(check.get("port")) if check.get("port") is not None else None
                self.check("fly", doc, ("checks", name, "path"), target(check.get("processes")),
                           f"Fly app `{app_name}`", port)

    @staticmethod
    def _toml_env(doc: Doc, *path: str) -> dict[str, tuple[str, Location]]:
        table = doc.value(*path)
        if not isinstance(table, dict):
            return {}
        return {str(k): (str(v), doc.location(*path, k)) for k, v in table.items() if isinstance(v, (str, int))}

    # ------------------------------------------------------------ railway.json / railway.toml

    def railway(self, doc: Doc) -> None:
        base_dir = posixpath.dirname(doc.source.path)
        build = doc.value("build") or {}
        docker = None
        if isinstance(build, dict):
            builder = str(build.get("builder") or "").upper()
            if builder == "DOCKERFILE" or build.get("dockerfilePath") or not builder:
                docker = self.dockerfile(base_dir, str(build.get("dockerfilePath") or "Dockerfile"))
        commands = doc.commands("deploy", "startCommand")
        replicas = doc.int_fact("replicas (railway numReplicas)", "deploy", "numReplicas")
        regions = doc.value("deploy", "multiRegionConfig")
        if isinstance(regions, dict) and replicas is None:
            total = 0
            for _region, config in regions.items():
                if isinstance(config, dict) and small_int(config.get("numReplicas", "")) is not None:
                    total += small_int(config["numReplicas"]) or 0
            if total:
                replicas = Fact(total, doc.location("deploy", "multiRegionConfig"), LITERAL,
                                f"{total} replicas (railway multiRegionConfig)")
        process = None
        if commands or docker is not None:
            origin = doc.location("deploy", "startCommand") if commands else doc.location("deploy")
            process = self.process(doc, "web", "web", commands, origin, "railway", dockerfile=docker, replicas=replicas)
        release = doc.commands("deploy", "preDeployCommand")
        if release:
            self.process(doc, "preDeployCommand", "release", release, doc.location("deploy", "preDeployCommand"),
                         "railway")
        self.check("railway", doc, ("deploy", "healthcheckPath"), process, "the Railway service")

    # ------------------------------------------------------------ Heroku: heroku.yml and app.json

    def heroku_yml(self, doc: Doc) -> None:
        base_dir = posixpath.dirname(doc.source.path)
        images = doc.value("build", "docker")
        dockerfiles = {}
        for name, path in (images.items() if isinstance(images, dict) else []):
            if isinstance(path, dict):
                path = path.get("dockerfile")
            if isinstance(path, str):
                found = self.dockerfile(base_dir, path)
                if found is not None:
                    dockerfiles[name] = found
        run = doc.value("run")
        names = set(dockerfiles) | set(run if isinstance(run, dict) else {})
        for name in sorted(names):
            entry = run.get(name) if isinstance(run, dict) else None
            key: tuple[str, ...] = ("run", name, "command") if isinstance(entry, dict) else ("run", name)
            commands = doc.commands(*key) if entry is not None else []
            image = entry.get("image") if isinstance(entry, dict) else None
            docker = dockerfiles.get(str(image or name)) or dockerfiles.get("web")
            origin = doc.location(*key) if entry is not None else doc.location("build", "docker", name)
            role = "web" if name == "web" else "worker"
            self.process(doc, name, role, commands, origin, "heroku", dockerfile=docker,
                         replicas=self.model.formation.get(name), env=self.model.heroku_env)
        release = doc.commands("release", "command")
        if release:
            self.process(doc, "release", "release", release, doc.location("release", "command"), "heroku")

    def app_json(self, doc: Doc) -> None:
        plans = [(index, str(addon.get("plan") if isinstance(addon, dict) else addon))
                 for index, addon in enumerate(items(doc.value("addons")))]
        postgres = [(index, plan) for index, plan in plans if plan.startswith("heroku-postgresql")]
        if len(postgres) == 1 and ":" in postgres[0][1]:
            index, plan = postgres[0]
            where = doc.location("addons", index, "plan") if isinstance(items(doc.value("addons"))[index], dict) \
                else doc.location("addons", index)
            self.managed_limit(f"heroku:{posixpath.dirname(doc.source.path)}", "heroku", plan.split(":", 1)[1], where)
        formation = doc.value("formation")
        for name in (formation if isinstance(formation, dict) else []):
            fact = doc.int_fact(f"dynos (app.json formation.{name}.quantity)", "formation", name, "quantity")
            if fact is not None:
                self.model.formation[name] = fact
        env = doc.value("env")
        for name, entry in (env.items() if isinstance(env, dict) else []):
            if isinstance(entry, dict) and isinstance(entry.get("value"), (str, int)):
                self.model.heroku_env[name] = (str(entry["value"]), doc.location("env", name, "value"))
            elif isinstance(entry, (str, int)):
                self.model.heroku_env[name] = (str(entry), doc.location("env", name))
        postdeploy = doc.commands("scripts", "postdeploy")
        if postdeploy:
            self.process(doc, "postdeploy", "release", postdeploy, doc.location("scripts", "postdeploy"), "heroku")


def items(value: Any) -> list[Any]:
    """A list value, or no items."""
    return value if isinstance(value, list) else []
