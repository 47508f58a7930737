"""`helm template` behind the static renderer, when a `helm` binary is on PATH.

A chart is rendered by Helm itself with its default values (and the production values files
beside it, `values-prod.yaml`), the way checkov and a deploy job render it. Its templates' output
then replaces the static rendering of `helm_render`, whose line origins still point findings at
the values.yaml or template line a user edits. A chart Helm cannot render with its defaults (a
`required` value, a dependency not vendored in `charts/`, a helper the chart's library provides)
keeps the static reading, and the run says so.

The chart is hostile input, and Helm is run so that nothing in it can act:
- the chart's files (those prodcheck read, never symlinks) are copied into a private temporary
  folder, and Helm is given that folder, never a path of the repository;
- argument list, no shell, a timeout, output bounded by a file-size limit;
- a scrubbed environment: HOME and every HELM_* folder in the temporary folder (no plugins, no
  repository index, no registry credentials, no kubeconfig), proxies pointed at a closed port;
- `helm template` only: no `--dependency-update` (dependencies are never fetched; one that is
  not vendored in `charts/` is left out of the copy's Chart.yaml), no `--post-renderer`, no
  `--enable-dns` (so `getHostByName` does no lookup), `lookup` returns nothing without a cluster.
  `helm dependency build` is never run. Go templates cannot execute programs.

`PRODCHECK_HELM` picks the binary (a path or a name on PATH) or turns this off (`off`).

Why a binary and not a library: Helm's Go library has Python bindings on the package index
(helm-python-sdk 0.2.2, Apache-2.0, a ctypes wrapper of a C build of Helm v4: a 75 MB wheel that
installs about 255 MB, one maintainer, alpha, first released 2026; pyhelm 2.14.5, last released
2019, talks to Helm 2's Tiller; helm-sdkpy is not installable here). Loading a native Go runtime
into the auditor's own process means a crash or a runaway template on a hostile chart takes the
run down with it, and the size would dwarf prodcheck. A `helm` the user already has, run as a
bounded subprocess, gives the same rendering with none of that; without one, the static reading.
"""
from __future__ import annotations

import os
import posixpath
import subprocess
import tempfile
from dataclasses import field
from functools import lru_cache
from pathlib import Path

import yaml

from prodcheck.executables import find
from prodcheck.model.record import slotted
from prodcheck.project.sources import SourceFile
from prodcheck.lazy_pattern import lazy

TIMEOUT = 30  # seconds for one chart
VERSION_TIMEOUT = 10
MAX_OUTPUT = 32 * 1024 * 1024  # bytes of rendered manifests
MAX_COPY = 16 * 1024 * 1024  # bytes of chart files copied
MAX_ERROR = 300  # characters of Helm's error kept for the summary
RELEASE = "release-name"  # the name `helm template` gives without one, and the static renderer's
_SOURCE = "# Source: "


MAX_LEFT_OUT = 4  # templates that fail with the defaults, left out one by one before giving up
_FAILING = lazy(r"execution error at \([^/\s\"()]+/(templates/[^:\"\s()]+\.ya?ml):")


@slotted
class HelmResult:
    manifests: dict[str, str] = field(default_factory=dict)  # template path in the repo -> rendered text
    error: str | None = None
    left_out: list[str] = field(default_factory=list)  # template paths Helm could not render with the defaults


def helm_binary(root: Path | None = None) -> str | None:
    """The helm to run: PRODCHECK_HELM's, or `helm` on PATH; never one inside the scanned root or
    the current folder, nor found through a relative PATH entry (`executables.find`)."""
    setting = os.environ.get("PRODCHECK_HELM", "").strip()
    if setting.lower() in {"off", "0", "false", "no", "none"}:
        return None
    return find(setting or "helm", untrusted=(root,) if root is not None else ())


@lru_cache(maxsize=4)
def helm_version(binary: str) -> str | None:
    """`helm version --short`, or None when the binary does not answer like Helm."""
    with tempfile.TemporaryDirectory(prefix="prodcheck-helm-") as home:
        try:
            done = subprocess.run([binary, "version", "--short"], capture_output=True, timeout=VERSION_TIMEOUT,
                                  env=_environment(Path(home)), cwd=home, check=False, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            return None
    text = done.stdout.decode("utf-8", "replace").strip()
    if done.returncode != 0 or not text.startswith("v"):
        return None
    return text.splitlines()[0][:40]


def _environment(home: Path) -> dict[str, str]:
    closed = "http://127.0.0.1:9"  # nothing listens there: a network attempt fails at once
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
        "HELM_PLUGINS": str(home / "plugins"),
        "HELM_NO_PLUGINS": "1",
        "HELM_REGISTRY_CONFIG": str(home / "config" / "registry.json"),
        "HELM_REPOSITORY_CONFIG": str(home / "config" / "repositories.yaml"),
        "HELM_REPOSITORY_CACHE": str(home / "cache" / "repository"),
        "KUBECONFIG": str(home / "no-kubeconfig"),
        "HTTP_PROXY": closed, "HTTPS_PROXY": closed, "http_proxy": closed, "https_proxy": closed,
        "NO_PROXY": "", "no_proxy": "",
    }


def render(binary: str, directory: str, files: list[SourceFile], values_files: list[SourceFile]) -> HelmResult:
    """Render the chart whose files (paths relative to the scanned root) are `files`, with its own
    values.yaml and then each of `values_files` layered on top, as `helm upgrade -f` does."""
    prefix = f"{directory}/" if directory else ""
    with tempfile.TemporaryDirectory(prefix="prodcheck-helm-") as temporary:
        home = Path(temporary)
        chart = home / "chart"
        copied = _copy(files, prefix, chart)
        if copied is not None:
            return HelmResult(error=copied)
        argv = [binary, "template", RELEASE, str(chart)]
        for index, source in enumerate(values_files):
            target = home / f"values-{index}.yaml"
            target.write_bytes(source.data or b"")
            argv += ["--values", str(target)]
        left_out: list[str] = []
        while True:
            text, error = _run(argv, home)
            if error is None:
                return HelmResult(manifests=split_output(text, prefix), left_out=left_out)
            # A template that stops the render with the defaults (`required`, `fail`) is left out,
            # and read statically; the chart's other templates are still Helm's.
            failing = _FAILING.search(error)
            relative = failing.group(1) if failing else ""
            target = chart.joinpath(*relative.split("/"))
            if not relative or len(left_out) >= MAX_LEFT_OUT or not target.is_file():
                return HelmResult(error=error)
            target.unlink()
            left_out.append(prefix + relative)


def _run(argv: list[str], home: Path) -> tuple[str, str | None]:
    """(rendered manifests, None) or ("", why Helm did not render them)."""
    out_path = home / "out.yaml"
    try:
        with open(out_path, "wb") as out:
            done = subprocess.run(argv, stdout=out, stderr=subprocess.PIPE, timeout=TIMEOUT, cwd=home,
                                  env=_environment(home), check=False, stdin=subprocess.DEVNULL,
                                  preexec_fn=_limit_output)
    except subprocess.TimeoutExpired:
        return "", f"helm template took longer than {TIMEOUT}s"
    except (OSError, subprocess.SubprocessError) as error:
        return "", f"helm could not run: {error.__class__.__name__}"
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").replace(str(home / "chart") + "/", "")
        return "", " ".join(message.split())[:MAX_ERROR] or f"helm exited with {done.returncode}"
    if out_path.stat().st_size > MAX_OUTPUT:
        return "", "helm template output too large"
    return out_path.read_bytes().decode("utf-8", "replace"), None


def _limit_output() -> None:  # pragma: no cover - runs in the child between fork and exec
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_OUTPUT + 1, MAX_OUTPUT + 1))


def _copy(files: list[SourceFile], prefix: str, chart: Path) -> str | None:
    """Write the chart's files under `chart`; None, or why the chart is not given to Helm."""
    total = 0
    present: set[str] = set()
    for source in files:
        if source.data is None or not source.path.startswith(prefix):
            continue
        relative = source.path[len(prefix):]
        parts = relative.split("/")
        if any(part in {"", ".", ".."} for part in parts):
            continue
        total += len(source.data)
        if total > MAX_COPY:
            return "chart too large to copy for helm"
        target = chart.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = source.data
        if relative in {"Chart.yaml", "requirements.yaml"}:
            data = _vendored_only(data, prefix, files)
        target.write_bytes(data)
        present.add(relative)
    if "Chart.yaml" not in present:
        return "Chart.yaml not readable"
    return None


def _vendored_only(data: bytes, prefix: str, files: list[SourceFile]) -> bytes:
    """Chart.yaml without the dependencies that are not vendored under `charts/`: Helm would stop
    on them, and fetching them is what this must never do."""
    try:
        document = yaml.safe_load(data)
    except yaml.YAMLError:
        return data
    if not isinstance(document, dict) or not isinstance(document.get("dependencies"), list):
        return data
    vendored = {posixpath.normpath(s.path[len(prefix):]).split("/")[1] for s in files
                if s.path.startswith(prefix + "charts/") and s.path.count("/") > prefix.count("/") + 1}
    kept = [d for d in document["dependencies"] if isinstance(d, dict) and str(d.get("name")) in vendored]
    if len(kept) == len(document["dependencies"]):
        return data
    document["dependencies"] = kept
    return yaml.safe_dump(document, sort_keys=False).encode()


def split_output(text: str, prefix: str) -> dict[str, str]:
    """`helm template` output -> {template path in the repository: its rendered documents}.
    Each document follows a `# Source: <chart>/templates/x.yaml` line; the chart's own name is
    replaced by its folder in the repository (a vendored subchart keeps `charts/<name>/`)."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.split("\n"):
        if line.startswith(_SOURCE):
            if current and current[-1].startswith("---"):
                current.pop()  # the separator Helm writes before each `# Source:` line
            name = line[len(_SOURCE):].strip()
            _, _, inside = name.partition("/")
            if not inside or ".." in inside.split("/"):
                current = None
                continue
            current = out.setdefault(prefix + inside, [])
            current.append("---")
        elif current is not None:
            current.append(line)
    return {path: "\n".join(lines).strip("\n") + "\n" for path, lines in out.items()}
