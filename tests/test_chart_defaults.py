"""Credentials and settings a Helm chart ships in its default values.yaml
(project/chart_defaults.py): which values a default install uses, which dependency a value
configures, which literal is a default secret, and which empty default is left to the installer."""
from __future__ import annotations

from pathlib import Path

from conftest import project_model
from prodcheck.model.finding import Location, Span
from prodcheck.project import Project
from prodcheck.project.chart_defaults import chart_values, default_secret, left_to_installer

CHART = """\
apiVersion: v2
name: shop
dependencies:
  - name: postgresql
    condition: postgresql.enabled
  - name: redis
    alias: cache
    condition: cache.enabled, other.flag
  - name: mysql
    condition: mysql.enabled
  - name: mariadb
  - name: common
    condition: ""
"""
VALUES = """\
password: top-level-pass
postgresql:
  enabled: true
  auth:
    password: pg-pass
cache:
  enabled: false
  password: cache-pass
mysql:
  enabled: false
  rootPassword: my-pass
mariadb:
  auth:
    rootPassword: maria-pass
externalDatabase:
  password: ext-pass
api:
  externalSecret: x
  exampleKey: y
  worker:
    enabled: false
    token: w
  env:
    - name: A
      value: b
  Replicas: 2
"""


def _project(root: Path, files: dict[str, str]) -> Project:
    return project_model(root, {"app.py": "from fastapi import FastAPI\napp = FastAPI()\n", **files})


def _values(project: Project) -> list[tuple[str, str, str | None, str]]:
    return sorted((v.key, v.node.as_str() or "", v.database, v.values.path) for v in chart_values(project))


def test_the_values_a_default_install_uses_and_the_database_they_configure(tmp_path: Path) -> None:
    project = _project(tmp_path, {"chart/Chart.yaml": CHART, "chart/values.yaml": VALUES})
    assert _values(project) == [
        ("api.Replicas", "2", None, "chart/values.yaml"),
        ("api.env[0].name", "A", None, "chart/values.yaml"),
        ("api.env[0].value", "b", None, "chart/values.yaml"),
        ("mariadb.auth.rootPassword", "maria-pass", "mariadb", "chart/values.yaml"),  # no condition: used
        ("password", "top-level-pass", None, "chart/values.yaml"),
        ("postgresql.auth.password", "pg-pass", "postgresql", "chart/values.yaml"),
        ("postgresql.enabled", "true", "postgresql", "chart/values.yaml"),
    ]  # not the disabled cache (an alias) or mysql, external*/example* sections, a section with enabled: false


def test_a_condition_naming_no_value_and_an_empty_condition_do_not_disable(tmp_path: Path) -> None:
    chart = "apiVersion: v2\nname: shop\ndependencies:\n  - name: postgresql\n    condition: db.on\n" \
            "  - name: mysql\n    condition: \"\"\n"
    values = "postgresql:\n  password: a\nmysql:\n  password: b\n"
    project = _project(tmp_path, {"chart/Chart.yaml": chart, "chart/values.yaml": values})
    assert _values(project) == [("mysql.password", "b", "mysql", "chart/values.yaml"),
                                ("postgresql.password", "a", "postgresql", "chart/values.yaml")]


def test_a_condition_on_another_section_disables_the_dependency(tmp_path: Path) -> None:
    """`condition: features.analytics` (a flag outside the dependency's own section, which has no `enabled`): false
    in the defaults, the dependency is not installed, so its values are unused; the flag itself is a value."""
    chart = "apiVersion: v2\nname: shop\ndependencies:\n  - name: clickhouse\n    condition: features.analytics\n" \
            "  - name: postgresql\n    alias: maindb\n"
    values = "features:\n  analytics: false\nclickhouse:\n  password: ch-pass\nmaindb:\n  password: pg-pass\n"
    project = _project(tmp_path, {"chart/Chart.yaml": chart, "chart/values.yaml": values})
    assert _values(project) == [("features.analytics", "false", None, "chart/values.yaml"),
                                ("maindb.password", "pg-pass", "maindb", "chart/values.yaml")]  # a database chart, by its alias
    project = _project(tmp_path / "on", {"chart/Chart.yaml": chart, "chart/values.yaml": values.replace("false", "true")})
    assert _values(project) == [("clickhouse.password", "ch-pass", None, "chart/values.yaml"),
                                ("features.analytics", "true", None, "chart/values.yaml"),
                                ("maindb.password", "pg-pass", "maindb", "chart/values.yaml")]


def test_charts_without_usable_values_and_vendored_subcharts_give_nothing(tmp_path: Path) -> None:
    project = _project(tmp_path, {
        "a/Chart.yaml": "name: a\n", "a/values.yaml": "- not a map\n",  # a list, not values
        "b/Chart.yaml": "name: b\n",  # no values.yaml
        "c/Chart.yaml": "name: c\n", "c/values.yaml": "password: c-pass\n",
        "c/charts/dep/Chart.yaml": "name: dep\n", "c/charts/dep/values.yaml": "password: dep-pass\n",
        "Chart.yaml": "name: root\n", "values.yaml": "token: root-token\n",
        "charts/sub/Chart.yaml": "name: sub\n", "charts/sub/values.yaml": "token: sub-token\n",
        "d/Chart.yaml": "name: d\n", "d/values.yaml": "password: d-pass\n",  # a chart after the vendored ones
    })
    assert _values(project) == [("password", "c-pass", None, "c/values.yaml"), ("password", "d-pass", None, "d/values.yaml"),
                                ("token", "root-token", None, "values.yaml")]


def test_which_default_is_a_secret(tmp_path: Path) -> None:
    values = ("auth:\n  password: s3cr3t-Pa55\n  existingSecret: shop-db\n  passwordSecretKeyRef: key\n"
              "  caSecret: sandbox-proxy-ca\n  jwtSecret: Zx81-Qw19-Lp55\n  username: admin\n"
              "  token:\n    - aB3dE5fG7hJ9kL1m\n  apiKey: \"\"\n  secretKey: my-app-secret-key\n")
    project = _project(tmp_path, {"chart/Chart.yaml": "name: shop\n", "chart/values.yaml": values})
    secrets = sorted((v.key, default_secret(v)) for v in chart_values(project))
    assert secrets == [
        ("auth.apiKey", None), ("auth.caSecret", None),  # empty; the name of a Kubernetes Secret
        ("auth.existingSecret", None), ("auth.jwtSecret", "Zx81-Qw19-Lp55"),  # a reference; a secret
        ("auth.password", "s3cr3t-Pa55"), ("auth.passwordSecretKeyRef", None),
        ("auth.secretKey", "my-app-secret-key"),  # a slug, but not the name of an object: a weak secret
        ("auth.token[0]", "aB3dE5fG7hJ9kL1m"), ("auth.username", None)]


def test_an_empty_default_is_left_to_the_installer_when_no_production_values_set_it(tmp_path: Path) -> None:
    values = "resources: {}\nprobe: false\nlimits: {cpu: 1}\ntag: ''\nlist: []\nnothing: null\ntilde: ~\nq: \"\"\n" \
             "multi: >\n  text\nprobe2: {enabled: false}\n"
    files = {"chart/Chart.yaml": "name: shop\n", "chart/values.yaml": values, "notachart/values.yaml": values}
    project = _project(tmp_path, files)

    def left(path: str, line: int, column: int, end: int, end_line: int | None = None) -> str | None:
        return left_to_installer(project, Location(path, Span(line, column, end_line or line, end)))

    assert left("chart/values.yaml", 1, 12, 14) == "{}"
    assert left("chart/values.yaml", 2, 8, 13) == "false"
    assert left("chart/values.yaml", 3, 9, 17) is None  # `{cpu: 1}` is set
    assert left("chart/values.yaml", 4, 6, 8) == "''"
    assert left("chart/values.yaml", 5, 7, 9) == "[]"
    assert left("chart/values.yaml", 6, 10, 14) == "null"
    assert left("chart/values.yaml", 7, 8, 9) == "~"
    assert left("chart/values.yaml", 8, 4, 6) == '""'
    assert left("chart/values.yaml", 9, 8, 3, end_line=10) is None  # a span over lines
    assert left("chart/values.yaml", 11, 19, 24) == "false"  # inside a flow mapping: the value's columns only
    assert left("chart/values.yaml", 40, 1, 3) is None  # past the end
    assert left("chart/values.yaml", 0, 1, 3) is None
    assert left("notachart/values.yaml", 1, 12, 14) is None  # no Chart.yaml beside it
    assert left("chart/other.yaml", 1, 12, 14) is None  # not the defaults
    assert left("chart/missing/values.yaml", 1, 12, 14) is None

    production = _project(tmp_path / "prod", {**files, "chart/values-prod.yaml": "resources: {limits: {cpu: 1}}\n"})
    assert left_to_installer(production, Location("chart/values.yaml", Span(1, 12, 1, 14))) is None


def test_a_chart_at_the_repository_root_leaves_its_defaults_to_the_installer(tmp_path: Path) -> None:
    project = _project(tmp_path, {"Chart.yaml": "name: shop\n", "values.yaml": "resources: {}\n"})
    assert left_to_installer(project, Location("values.yaml", Span(1, 12, 1, 14))) == "{}"
