"""action.yml: a composite GitHub Action. Its structure is checked, and its shell steps are run
here the way the runner runs them (inputs as environment variables, $GITHUB_OUTPUT, $RUNNER_TEMP)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, write_project
from report_cases import SHOP
from wheelhouse import offline_pip_env, wheelhouse  # noqa: F401  (a fixture)

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
STEPS = {step["name"]: step for step in ACTION["runs"]["steps"]}
INPUTS = {"path", "args", "sarif-file", "sarif-category", "fail-on"}


def test_structure() -> None:
    assert ACTION["name"] and ACTION["description"]
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == INPUTS
    for name, spec in ACTION["inputs"].items():
        assert spec.get("description"), name
        assert "default" in spec, name
    assert ACTION["inputs"]["path"]["default"] == "."
    assert ACTION["inputs"]["fail-on"]["default"] == "warning"
    for step in ACTION["runs"]["steps"]:
        assert "run" in step or "uses" in step
        if "run" in step:
            assert step.get("shell") == "bash"  # composite run steps must name their shell
            # Inputs reach scripts through env, never spliced into the script text (injection).
            assert "${{ inputs." not in step["run"]
        if "uses" in step:
            # Pinned by full commit SHA, the version in a comment beside it.
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip().startswith(("uses:", "- uses:")):
            assert re.search(r"@[0-9a-f]{40} # v\d+(\.\d+)*$", line), line
    # Installed from the action's own checkout, never from a package index by name.
    assert "prodcheck==" not in text
    install = STEPS["Install prodcheck"]["run"]
    assert 'pip install --quiet --disable-pip-version-check "${{ github.action_path }}"' in install
    assert "--format github" in STEPS["Run prodcheck"]["run"]
    assert "--format sarif" in STEPS["Run prodcheck"]["run"]
    for output in ACTION["outputs"].values():
        assert output["value"].startswith("${{ steps.")


def _script(step: str) -> str:
    return STEPS[step]["run"].replace("${{ github.action_path }}", str(REPO))


def run_step(step: str, runner_temp: Path, workspace: Path, inputs: dict[str, str],
             extra_env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    output = runner_temp / "github_output"
    output.write_text("")
    env = {**os.environ, "RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(output),
           "GITHUB_WORKSPACE": str(workspace), "GITHUB_STEP_SUMMARY": str(runner_temp / "summary.md"),
           **(extra_env or {})}
    for key, spec in ACTION["inputs"].items():
        env[f"INPUT_{key.upper().replace('-', '_')}"] = inputs.get(key, spec["default"])
    env.pop("VIRTUAL_ENV", None)
    completed = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", _script(step)], cwd=workspace, env=env,
                               capture_output=True, text=True, timeout=600)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return completed, outputs


@pytest.fixture
def runner(tmp_path: Path) -> tuple[Path, Path]:
    """A RUNNER_TEMP whose prodcheck venv is the one running these tests, and a workspace."""
    temp = tmp_path / "runner-temp"
    (temp / "prodcheck-venv" / "bin").mkdir(parents=True)
    installed = Path(sys.executable).parent / "prodcheck"
    if not installed.exists():
        pytest.skip("prodcheck console script not installed beside this interpreter")
    (temp / "prodcheck-venv" / "bin" / "prodcheck").symlink_to(installed)
    workspace = write_project(tmp_path / "workspace", SHOP)
    return temp, workspace


def test_run_step_annotates_and_writes_sarif(runner: tuple[Path, Path]) -> None:
    temp, workspace = runner
    completed, outputs = run_step("Run prodcheck", temp, workspace, {"sarif-file": "results/prodcheck.sarif"}
                                  if (workspace / "results").mkdir() is None else {})
    assert completed.returncode == 1, completed.stderr
    annotations = [line for line in completed.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 3 and annotations[0].startswith("::error file=")
    sarif = json.loads((workspace / "results/prodcheck.sarif").read_text())
    assert sarif["version"] == "2.1.0" and len(sarif["runs"][0]["results"]) == 3
    assert outputs == {"sarif-file": "results/prodcheck.sarif", "exit-code": "1"}
    assert "| PC" in (temp / "summary.md").read_text()


@pytest.mark.parametrize(("inputs", "status"), [
    ({"fail-on": "error"}, 1),
    ({"fail-on": "never"}, 0),
    ({"args": "--select PC201 --fail-on error"}, 0),
    ({"args": "--select PC201", "fail-on": "error"}, 0),
    ({"path": "app", "args": "--select PC3"}, 1),
    ({"path": "Dockerfile app/main.py"}, 1),
    ({"args": "--select '*'"}, 2),  # quoted args are not a shell: the glob is passed, and refused
])
def test_inputs(runner: tuple[Path, Path], inputs: dict[str, str], status: int) -> None:
    temp, workspace = runner
    completed, outputs = run_step("Run prodcheck", temp, workspace, inputs)
    assert completed.returncode == status, completed.stdout + completed.stderr
    assert outputs["exit-code"] == str(status)
    assert "sarif-file" not in outputs


@pytest.mark.e2e
def test_install_step_installs_from_the_action_checkout(tmp_path: Path, wheelhouse: Path) -> None:  # noqa: F811
    if shutil.which("bash") is None:
        pytest.skip("bash not available")
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    workspace = write_project(tmp_path / "workspace", SHOP)
    completed, _ = run_step("Install prodcheck", temp, workspace, {}, offline_pip_env(wheelhouse))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.strip().startswith("prodcheck ")
    completed, outputs = run_step("Run prodcheck", temp, workspace, {"fail-on": "error"})
    assert completed.returncode == 1 and outputs["exit-code"] == "1"
    assert "title=PC402 pool-exceeds-connection-limit" in completed.stdout


def test_readme_workflow_uses_this_action_and_uploads_its_sarif(runner: tuple[Path, Path]) -> None:
    from readme_snippets import readme_block

    workflow = yaml.safe_load(readme_block(".github/workflows/prodcheck.yml"))
    [job] = workflow["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    steps = job["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    [ours] = [s for s in steps if s.get("uses", "").split("@")[0].endswith("/prodcheck")]
    [upload] = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    inputs = {key: str(value) for key, value in ours.get("with", {}).items()}
    assert set(inputs) <= INPUTS
    assert upload["with"]["sarif_file"] == inputs["sarif-file"]
    assert upload.get("if") == "always()"  # prodcheck fails the step on findings: upload anyway
    assert steps.index(ours) < steps.index(upload)
    # Run our step with exactly those inputs.
    temp, workspace = runner
    completed, outputs = run_step("Run prodcheck", temp, workspace, inputs)
    assert completed.returncode == 1, completed.stderr
    sarif = json.loads((workspace / inputs["sarif-file"]).read_text(encoding="utf-8"))
    assert sarif["runs"][0]["results"]
    assert outputs["sarif-file"] == inputs["sarif-file"]


def test_sarif_is_the_full_scan_and_annotations_follow_diff_base(runner: tuple[Path, Path]) -> None:
    temp, workspace = runner
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(temp)}
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", *command], cwd=workspace, check=True, capture_output=True, env={**os.environ, **env})
    (workspace / "results").mkdir()
    for args in ("--diff-base HEAD", "--diff-base=HEAD"):
        completed, _outputs = run_step("Run prodcheck", temp, workspace, {
            "args": args, "sarif-file": "results/p.sarif", "sarif-category": "api"})
        # Nothing changed since HEAD: no annotation, the step passes...
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert not [line for line in completed.stdout.splitlines() if line.startswith("::error")]
        # ...and code scanning still gets every result, under the category given.
        run = json.loads((workspace / "results/p.sarif").read_text())["runs"][0]
        assert len(run["results"]) == 3
        assert run["automationDetails"]["id"] == "api/"
