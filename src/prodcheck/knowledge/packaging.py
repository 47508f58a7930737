"""Typed access to `packaging.toml`: what package installers read and how their cache is turned off."""
from __future__ import annotations

from functools import cache
from typing import NamedTuple

from prodcheck.knowledge import load


class CacheSwitch(NamedTuple):
    env: str  # the variable that turns the download cache off (`PIP_NO_CACHE_DIR`)
    flags: frozenset[str]  # the options that do (`--no-cache-dir`)


@cache
def manifests() -> dict[str, str]:
    """Installer (`pip`, `uv`, `poetry`, ...) -> the files it reads, as the advice names them."""
    return dict(load("packaging")["manifests"])


@cache
def cache_switches() -> dict[str, CacheSwitch]:
    """Installer -> how its download cache is turned off, for the installers whose cache PC702 checks."""
    return {tool: CacheSwitch(entry["env"], frozenset(entry["flags"])) for tool, entry in load("packaging")["cache"].items()}


class OfflinePip(NamedTuple):
    flags: frozenset[str]  # `--no-index`: nothing comes from an index
    archives: tuple[str, ...]  # `.whl`: a built package on disk, installed as it is
    source_options: frozenset[str]  # `-r`: reads a file that may name index packages
    value_options: frozenset[str]  # `--target DIR`: the next word is the option's value


@cache
def offline_pip() -> OfflinePip:
    """How a pip install is told from one that downloads or builds nothing (PC702)."""
    entry = load("packaging")["pip_offline"]
    return OfflinePip(frozenset(entry["flags"]), tuple(entry["archives"]), frozenset(entry["source_options"]),
                      frozenset(entry["value_options"]))


@cache
def install_verbs() -> dict[str, frozenset[str]]:
    """Installer (`pip`, `uv pip`, `uv`, `poetry`, `npm`, ...) -> its subcommands that install."""
    return {tool: frozenset(verbs) for tool, verbs in load("packaging")["install_verbs"].items()}


class Managers(NamedTuple):
    python: frozenset[str]  # `poetry`, `pipenv`, `pdm`
    node: frozenset[str]  # `npm`, `yarn`, `pnpm`
    node_global_flags: frozenset[str]  # `-g`: installs a tool, not the project
    node_value_options: frozenset[str]  # `--prefix DIR`: the next word is the option's value


@cache
def managers() -> Managers:
    """The project managers among the installers (packaging.toml [managers])."""
    table = load("packaging")["managers"]
    return Managers(*(frozenset(table[field]) for field in Managers._fields))


@cache
def side_requirement_words() -> frozenset[str]:
    """Words of a requirements file's path that mark it docs, lint, test or dev only."""
    return frozenset(load("packaging")["requirements"]["side_words"])


@cache
def installed_folders() -> tuple[str, ...]:
    """Folders installed Python packages live in (`site-packages`, `dist-packages`)."""
    return tuple(load("packaging")["installed"]["folders"])


def installed_path(path: str) -> str:
    """A path inside an installed package's folder as the project's own path
    (`/venv/lib/python3.13/site-packages/app/conf.py` -> `app/conf.py`); any other path as it is."""
    for folder in installed_folders():
        _head, found, tail = path.rpartition(f"/{folder}/")
        if found and tail:
            return tail
    return path


@cache
def console_script_tables() -> tuple[tuple[str, ...], ...]:
    """The key paths of pyproject.toml's tables of console scripts (`("project", "scripts")`)."""
    return tuple(tuple(path) for path in load("packaging")["console_scripts"]["tables"])
