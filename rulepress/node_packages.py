"""The Node packages rulepress runs with, installed by rulepress itself, not by the user's repository: the
parser and scope analyser of `rulepress migrate` and of the build's unbound-name check, and the real HTTP
clients and Rules-sandbox modules of test cases with HTTP answers.

Their lock file ships inside the package (rulepress/npm/). On first use it is installed with `npm ci` into
a per-user cache folder named after the lock file's hash (as pre-commit keeps its hook environments), so
every rules repository on the machine shares it and an upgrade of rulepress that changes the lock gets a
fresh one. `RULEPRESS_NODE_MODULES` names a node_modules folder to use instead.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TextIO

from rulepress.errors import UserError

ENV_NODE_MODULES = "RULEPRESS_NODE_MODULES"
ENV_PACKAGES_DIR = "RULEPRESS_PACKAGES_DIR"  # where pinned rule dependencies go (default: the cache)
ENV_FETCH = "RULEPRESS_FETCH_PACKAGES"  # "0": use only the pinned dependencies already there
_NPM = resources.files("rulepress").joinpath("npm")


def wanted() -> dict[str, str]:
    """name -> exact version, as the shipped package.json pins them."""
    data = json.loads(_NPM.joinpath("package.json").read_text(encoding="utf-8"))
    return dict(data["dependencies"])


def _listed() -> str:
    return ", ".join(f"{name} {version}" for name, version in wanted().items())


def cache_root(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CACHE_HOME") or str(Path(environ.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "rulepress"


def _installed(folder: Path) -> bool:
    return all((folder / name / "package.json").is_file() for name in wanted())


def node_modules(environ: Mapping[str, str] = os.environ, *, say: TextIO = sys.stderr) -> Path:
    """A node_modules folder holding the packages: the override, else the cache (installed when missing)."""
    override = environ.get(ENV_NODE_MODULES)
    if override:
        if not _installed(Path(override)):
            raise UserError(f"{ENV_NODE_MODULES}={override} does not hold {_listed()}")
        return Path(override)
    lock = _NPM.joinpath("package-lock.json").read_bytes()
    home = cache_root(environ) / f"node-{hashlib.sha256(lock).hexdigest()[:16]}"
    if _installed(home / "node_modules"):
        return home / "node_modules"
    npm = shutil.which("npm", path=environ.get("PATH"))
    if npm is None:
        raise UserError(f"rulepress needs the Node packages {_listed()}, and npm was not found on PATH "
                        f"to install them; install npm (it comes with Node), or point {ENV_NODE_MODULES} at a "
                        f"node_modules folder that has them")
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / ".install.lock", "w") as lock_file:  # one install at a time on this machine
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        if _installed(home / "node_modules"):  # another process installed it meanwhile
            return home / "node_modules"
        print(f"rulepress: installing {_listed()} for rulepress into {home} (once)", file=say)
        work = Path(tempfile.mkdtemp(prefix=".installing-", dir=home.parent))
        try:
            for name in ("package.json", "package-lock.json"):
                (work / name).write_bytes(_NPM.joinpath(name).read_bytes())
            done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", "--ignore-scripts"],
                                  cwd=work, capture_output=True, text=True, timeout=600, check=False,
                                  env=dict(environ))
            if done.returncode != 0 or not _installed(work / "node_modules"):
                why = (done.stderr or done.stdout).strip().splitlines()
                raise UserError(f"could not install {_listed()} for rulepress with npm ci (is the npm "
                                f"registry reachable?): {' / '.join(why[-3:])[:400]}")
            shutil.rmtree(home, ignore_errors=True)
            os.replace(work, home)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return home / "node_modules"


def rule_dependency(name: str, version: str, environ: Mapping[str, str] = os.environ) -> Path | None:
    """A node_modules folder holding npm package `name` at exactly `version`, for the side-by-side run of
    `rulepress migrate` (a rule's `require('x@1.2.3')`): installed once per machine into the cache with
    `npm install --ignore-scripts` (no install script runs; the package only ever runs in the test worker,
    whose connections are refused). None when it cannot be had (no npm, no registry, no such version): the
    run then uses a stand-in and says the migration is not proven."""
    if not _VERSION.fullmatch(version) or not _NAME.fullmatch(name):
        return None
    root = Path(environ[ENV_PACKAGES_DIR]) if environ.get(ENV_PACKAGES_DIR) else cache_root(environ) / "packages"
    home = root / f"{name.replace('/', '+')}@{version}"
    folder = home / "node_modules"
    if (folder / name / "package.json").is_file():
        return folder
    npm = shutil.which("npm", path=environ.get("PATH"))
    if npm is None or environ.get(ENV_FETCH) == "0":
        return None
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / ".install.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        if (folder / name / "package.json").is_file():
            return folder
        work = Path(tempfile.mkdtemp(prefix=".installing-", dir=home.parent))
        try:
            (work / "package.json").write_text('{"name": "rulepress-rule-dependency", "private": true}\n')
            done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error", "--ignore-scripts",
                                   "--no-package-lock", f"{name}@{version}"], cwd=work, capture_output=True,
                                  text=True, timeout=300, check=False, env=dict(environ))
            if done.returncode != 0 or not (work / "node_modules" / name / "package.json").is_file():
                return None
            shutil.rmtree(home, ignore_errors=True)
            os.replace(work, home)
        except (OSError, subprocess.TimeoutExpired):
            return None
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return folder


_VERSION = re.compile(r"\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?")
_NAME = re.compile(r"(?:@[a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9._-]*")
