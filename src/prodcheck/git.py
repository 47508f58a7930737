"""The one way prodcheck runs git: nothing in the scanned repository can hook into it.

A scanned repository is hostile input, and its `.git/config` is read by every git command run
inside it. Every call goes through `run_git`, which:

- ignores the system and global configuration (`GIT_CONFIG_NOSYSTEM`, `GIT_CONFIG_GLOBAL`), so
  only the repository's own configuration is left, and overrides on the command line everything
  in it that runs a program or writes: `core.fsmonitor`, `core.hooksPath`, the untracked cache,
  pagers, every transport (`protocol.allow=never`: a partial clone cannot fetch, so no
  `core.sshCommand` or `ext::` remote runs), implicit bare repositories
  (`safe.bareRepository=explicit`: a scanned folder that looks like a bare repository is not one);
- takes no optional locks (`GIT_OPTIONAL_LOCKS=0`) and is only asked read-only plumbing
  questions (`rev-parse`, `ls-tree`, `cat-file --batch`, `merge-base`), none of which refreshes
  the index or runs filters, attributes, textconv, external diff drivers or hooks;
- is a git found on PATH's absolute entries outside the scanned folder (`executables.find`);
- has no terminal (stdin is empty or given, `GIT_TERMINAL_PROMPT=0`) and a time limit.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from prodcheck.executables import find

TIMEOUT = 120
_OVERRIDES = (
    "core.fsmonitor=false", f"core.hooksPath={os.devnull}", "core.untrackedCache=false", "core.pager=cat",
    "core.quotePath=false", "color.ui=never", "protocol.allow=never", "safe.bareRepository=explicit",
    f"core.excludesFile={os.devnull}", "core.useReplaceRefs=false", "gc.auto=0", "maintenance.auto=false",
)
_ENVIRONMENT = {
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_OPTIONAL_LOCKS": "0",
    "GIT_TERMINAL_PROMPT": "0", "GIT_NO_REPLACE_OBJECTS": "1", "GIT_NO_LAZY_FETCH": "1", "GIT_PAGER": "cat",
    "LC_ALL": "C", "LANGUAGE": "C",
}
# Set by whoever started prodcheck, but able to add configuration or run programs: dropped.
_DROPPED = ("GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_EXTERNAL_DIFF", "GIT_SSH",
            "GIT_SSH_COMMAND", "GIT_ASKPASS", "SSH_ASKPASS", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "GIT_PROXY_COMMAND")


class GitError(Exception):
    """git is missing, did not answer in time, or failed (the message says which)."""


class GitFailed(GitError):
    """git ran and exited non-zero; the message is its stderr."""


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in _DROPPED and not k.startswith(("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_"))}
    env.update(_ENVIRONMENT)
    return env


def command(*args: str, executable: str = "git") -> list[str]:
    overrides = [part for setting in _OVERRIDES for part in ("-c", setting)]
    return [executable, "--no-pager", "--no-replace-objects", *overrides, *args]


def run_git(root: Path, *args: str, stdin: bytes = b"", timeout: float = TIMEOUT) -> bytes:
    """stdout of `git ARGS` run in `root`, with the repository unable to hook into it."""
    executable = find("git", untrusted=(root,))  # never a git the repository planted (executables.py)
    if executable is None:
        raise GitError("git was not found on PATH")
    try:
        completed = subprocess.run(command(*args, executable=executable), cwd=root, input=stdin, capture_output=True, check=False,
                                   env=environment(), timeout=timeout)
    except FileNotFoundError:
        raise GitError("git was not found on PATH") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git did not answer within {timeout:g} s") from None
    except OSError as error:
        raise GitError(f"cannot run git: {error.strerror or error}") from None
    if completed.returncode != 0:
        raise GitFailed(completed.stderr.decode("utf-8", "replace").strip())
    return completed.stdout
