"""`helm template` behind the static renderer (project/helm_binary.py, helm_aligned.py).

The Helm path runs only where a `helm` binary is on PATH and is skipped, saying so, where it is
not; the static fallback and the pieces that do not need Helm are always tested."""
from __future__ import annotations

import shutil
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import run_json, write_project
from prodcheck.model.files import Context, FileKind
from prodcheck.project.helm_binary import _environment, _vendored_only, helm_binary, split_output
from prodcheck.project.sources import SourceFile

FIXTURES = Path(__file__).parent / "fixtures" / "helm"
RULES = ("PC201", "PC203", "PC301", "PC302", "PC401", "PC603", "PC606")
HELM = shutil.which("helm")
needs_helm = pytest.mark.skipif(HELM is None, reason="no helm binary on PATH: the helm template path is not exercised")


def _found(name: str) -> tuple[list[tuple[str, str, int]], list[str]]:
    args = [a for code in RULES for a in ("--select", code)]
    _, report = run_json(FIXTURES / name, *args)
    return sorted((f["code"], f["path"], f["line"]) for f in report["findings"]), report.get("notes", [])


UNSAFE = [
    ("PC201", "chart/values.yaml", 10),
    ("PC203", "chart/values.yaml", 2),
    ("PC301", "chart/values.yaml", 24),
    ("PC302", "chart/values.yaml", 33),
    ("PC401", "chart/templates/api.yaml", 25),
    ("PC603", "chart/values.yaml", 12),
    ("PC606", "chart/values.yaml", 11),
]


def test_without_helm_charts_are_read_statically_and_the_summary_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    for setting in ("off", "/nonexistent/helm"):
        monkeypatch.setenv("PRODCHECK_HELM", setting)
        found, notes = _found("defaults-unsafe")
        assert found == UNSAFE
        assert [n for n in notes if "read without rendering by helm (no helm binary on PATH)" in n]


@needs_helm
def test_helm_renders_the_chart_and_findings_stay_where_the_user_edits_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODCHECK_HELM", HELM or "")
    found, notes = _found("defaults-unsafe")
    assert found == UNSAFE
    assert any("rendered by `helm template`" in n for n in notes)
    found, _ = _found("defaults-safe")
    assert found == []


@needs_helm
def test_a_chart_helm_cannot_render_keeps_the_static_reading(monkeypatch: pytest.MonkeyPatch, project) -> None:
    monkeypatch.setenv("PRODCHECK_HELM", HELM or "")
    root = project({
        "app.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "chart/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
        "chart/values.yaml": "image:\n  tag: latest\n",
        "chart/templates/api.yaml": ('{{- include "missing.helper" . }}\napiVersion: apps/v1\nkind: Deployment\n'
                                     "metadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n"
                                     '        - name: api\n          image: "shop/api:{{ .Values.image.tag }}"\n'),
    })
    _, report = run_json(root, "--select", "PC203")
    assert any("helm template failed" in n for n in report.get("notes", []))


def test_helm_binary_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODCHECK_HELM", "off")
    assert helm_binary() is None
    monkeypatch.setenv("PRODCHECK_HELM", "/nonexistent/helm")
    assert helm_binary() is None


def test_helm_output_is_split_by_template_and_placed_in_the_chart_folder() -> None:
    output = ("---\n# Source: shop/templates/api.yaml\napiVersion: v1\nkind: Service\n"
              "---\n# Source: shop/templates/api.yaml\napiVersion: apps/v1\nkind: Deployment\n"
              "---\n# Source: shop/templates/../../evil.yaml\nkind: Secret\n"
              "---\n# Source: shop/charts/db/templates/db.yaml\nkind: StatefulSet\n")
    assert split_output(output, "deploy/chart/") == {
        "deploy/chart/templates/api.yaml": "---\napiVersion: v1\nkind: Service\n---\napiVersion: apps/v1\nkind: Deployment\n",
        "deploy/chart/charts/db/templates/db.yaml": "---\nkind: StatefulSet\n",
    }


def test_dependencies_not_vendored_are_left_out_of_the_copy() -> None:
    chart = (b"apiVersion: v2\nname: shop\nversion: 1.0.0\ndependencies:\n"
             b"  - name: postgresql\n    version: 12.x\n    repository: oci://registry.example.com/charts\n"
             b"  - name: common\n    version: 2.x\n    repository: file://../common\n")
    files = [SourceFile("c/charts/common/Chart.yaml", FileKind.YAML, Context.PROD, data=b"name: common\n")]
    kept = _vendored_only(chart, "c/", files)
    assert b"postgresql" not in kept and b"common" in kept
    assert _vendored_only(b"apiVersion: v2\nname: shop\n", "c/", files) == b"apiVersion: v2\nname: shop\n"


@needs_helm
def test_helm_reads_the_production_values_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODCHECK_HELM", HELM or "")
    found, _ = _found("prod-values")
    assert found == [("PC201", "chart/values-prod.yaml", 10)]


def test_helm_runs_with_no_inherited_environment_and_every_proxy_closed(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A chart's template must not reach the network or the user's credentials: helm sees none of
    the caller's variables, and every proxy it would use refuses connections at once."""
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-for-helm")
    environment = _environment(tmp_path)
    assert "AWS_SECRET_ACCESS_KEY" not in environment
    assert all(Path(value).is_relative_to(tmp_path) for key, value in environment.items() if key.startswith("HELM_")
               and key != "HELM_NO_PLUGINS")
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        proxy = urlsplit(environment[key])
        assert proxy.hostname == "127.0.0.1" and proxy.port is not None
        with pytest.raises(OSError):
            socket.create_connection((proxy.hostname, proxy.port), timeout=2).close()


@pytest.mark.parametrize(("prints", "status", "expected"), [
    ("v3.15.2+g1a500d5\n", 0, "v3.15.2+g1a500d5"),
    ("3.15.2\n", 0, None),  # not how Helm answers `version --short`
    ("v3.15.2\n", 1, None),  # Helm that fails is no Helm to render with
])
def test_a_binary_counts_as_helm_only_when_it_answers_like_helm(tmp_path: Path, prints: str, status: int,
                                                                expected: str | None) -> None:
    from prodcheck.project.helm_binary import helm_version

    binary = tmp_path / "helm"
    binary.write_text(f"#!/bin/sh\nprintf '{prints}'\nexit {status}\n")
    binary.chmod(0o755)
    assert helm_version(str(binary)) == expected


def test_the_chart_is_copied_whole_and_nothing_outside_it(tmp_path: Path) -> None:
    """Helm gets a copy of the chart's files (nested template folders too), never a file outside the
    chart's folder nor a path that climbs out of it; a chart without a readable Chart.yaml is not run."""
    from prodcheck.project.helm_binary import _copy

    def source(path: str, data: bytes = b"kind: ConfigMap\n") -> SourceFile:
        return SourceFile(path, FileKind.YAML, Context.PROD, data=data)

    files = [source("deploy/chart/templates/jobs/migrate.yaml"), source("deploy/chart/templates/api.yaml"),
             source("deploy/chart/templates/service.yaml"), source("deploy/chart/Chart.yaml", b"name: shop\n"),
             source("deploy/chart/templates/../../secrets.yaml"), source("deploy/other.yaml")]
    copy = tmp_path / "copy"
    assert _copy(files, "deploy/chart/", copy) is None
    assert sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file()) == [
        "Chart.yaml", "templates/api.yaml", "templates/jobs/migrate.yaml", "templates/service.yaml"]
    assert _copy(files[:3], "deploy/chart/", tmp_path / "again") == "Chart.yaml not readable"


def test_a_binary_that_does_not_answer_like_helm_leaves_charts_to_the_static_reading(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PRODCHECK_HELM names a program that is not Helm (its `version --short` says something else): it is
    never given a chart, the charts are read statically, and the summary says why."""
    fake = tmp_path / "bin" / "helm"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'usage: helm-wrapper [options]'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PRODCHECK_HELM", str(fake))
    found, notes = _found("defaults-unsafe")
    assert found == UNSAFE
    assert any("read without rendering by helm (the helm binary did not answer `helm version`)" in n for n in notes)


def test_a_binary_that_answers_like_helm_renders_the_chart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `helm` that answers `version --short` like Helm is given the chart: its `helm template` output
    (here a stand-in that prints the templates as they are, as Helm does for templates without
    actions) is what the rules read, the finding sits on the template line, and the summary names it."""
    fake = tmp_path / "bin" / "helm"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\nif [ "$1" = version ]; then echo v3.15.2+gfake; exit 0; fi\n'
                    'for f in "$3"/templates/*.yaml; do printf -- "---\\n# Source: shop/templates/%s\\n" '
                    '"$(basename "$f")"; cat "$f"; done\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PRODCHECK_HELM", str(fake))
    root = write_project(tmp_path / "repo", {  # the binary outside the scanned folder (one inside is refused)
        "app.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "chart/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
        "chart/values.yaml": "replicas: 1\n",
        "chart/templates/api.yaml": ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n"
                                     "  template:\n    spec:\n      containers:\n        - name: api\n"
                                     "          image: registry.example.com/shop/api:1.4.2\n"
                                     "          securityContext:\n            runAsUser: 0\n"),
    })
    _, report = run_json(root, "--select", "PC201")
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("chart/templates/api.yaml", 12)]
    assert any("1 Helm chart rendered by `helm template` (v3.15.2+gfake)" in n for n in report.get("notes", []))
