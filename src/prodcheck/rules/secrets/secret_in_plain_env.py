"""PC305 secret-in-plain-env. Docs and tests: rules/PC305-secret-in-plain-env.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.model.finding import Severity
from prodcheck.parsing.yaml import YNode
from prodcheck.project import Project
from prodcheck.project.infra import scalar_location
from prodcheck.project.secret_names import secret_object_names
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.helpers import database_urls
from prodcheck.rules.secrets.secret_values import is_secret_name, is_secret_value


class SecretInPlainEnv(Rule):
    meta = RuleMeta(
        code="PC305", name="secret-in-plain-env",
        summary="A Kubernetes env value or ConfigMap entry holds a secret instead of a Secret reference",
        severity=Severity.ERROR, kinds=("k8s",), dev="skip", security=7.0,
    )

    def check(self, project: Project) -> Iterator[Draft]:
        for workload in project.workloads:
            path = workload.file.path
            for container in workload.containers + workload.init_containers:
                env = container.node.get("env")
                for item in env.list() if env is not None else []:
                    name, value = item.get("name"), item.get("value")
                    if name is None or value is None or not name.as_str():
                        continue
                    if self._is_secret(name.as_str() or "", value) and value.as_str() not in secret_object_names(project):
                        yield self.draft(
                            f"`{name.as_str()}` of container `{container.name}` is a literal `value:` (`****`): the "
                            "secret sits in the manifest and the Deployment object for anyone who can read them; "
                            "use `valueFrom.secretKeyRef`", scalar_location(path, value), secrets=(value.as_str() or "",))
        for source, document in project.k8s_documents:
            kind = document.get("kind")
            if kind is None or kind.as_str() != "ConfigMap":
                continue
            name_node = document.path("metadata", "name")
            config_name = (name_node.as_str() if name_node is not None else None) or "configmap"
            data = document.get("data")
            for key, value in data.entries() if data is not None and data.is_map else []:
                if self._is_secret(key, value) and value.as_str() not in secret_object_names(project):
                    yield self.draft(
                        f"ConfigMap `{config_name}` holds `{key}` (`****`): ConfigMaps are not secret (no "
                        "encryption at rest, readable with plain `get configmaps` rights); move it to a Secret",
                        scalar_location(source.path, value), secrets=(value.as_str() or "",))

    @staticmethod
    def _is_secret(name: str, value: YNode) -> bool:
        text = value.as_str()
        if text is None or not is_secret_name(name) or not is_secret_value(text):
            return False
        return not database_urls(text)  # PC301 hardcoded-database-url reports those
