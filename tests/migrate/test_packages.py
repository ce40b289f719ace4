"""The Node packages migrate needs come with rulepress: installed on first use into a per-user cache folder
keyed by the shipped lock file. npm runs offline here (tests/conftest.py), from the npm cache that
scripts/bootstrap filled: no test reaches a registry."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from rulepress.errors import UserError
from rulepress.node_packages import node_modules, wanted

# as the shipped package.json pins them
LISTED = ("acorn 8.19.0, async 0.9.2, axios 1.21.1, eslint-scope 9.1.2, jsonwebtoken 7.4.3, lodash 2.4.2, "
          "q 1.0.1, qs 6.4.3, request 2.81.0, uuid 2.0.3")


def test_first_use_installs_once_into_the_cache_folder(tmp_path: Path) -> None:
    environ = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    environ.pop("RULEPRESS_NODE_MODULES", None)
    said = io.StringIO()
    folder = node_modules(environ, say=said)
    assert folder.parent.parent == tmp_path / "cache" / "rulepress" and folder.parent.name.startswith("node-")
    for name, version in wanted().items():
        assert f'"version": "{version}"' in (folder / name / "package.json").read_text()
    assert said.getvalue() == (f"rulepress: installing {LISTED} for rulepress "
                               f"into {folder.parent} (once)\n")
    again = io.StringIO()
    assert node_modules(environ, say=again) == folder and again.getvalue() == ""
    assert [p.name for p in folder.parent.parent.iterdir() if p.name.startswith(".installing")] == []


def test_without_npm_the_error_names_the_packages_and_versions(tmp_path: Path) -> None:
    environ = {"PATH": str(tmp_path / "empty-bin"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    with pytest.raises(UserError) as failed:
        node_modules(environ, say=io.StringIO())
    assert str(failed.value) == (
        f"rulepress needs the Node packages {LISTED}, and npm was not found on "
        "PATH to install them; install npm (it comes with Node), or point RULEPRESS_NODE_MODULES at a "
        "node_modules folder that has them")


def test_an_npm_that_cannot_reach_its_registry_is_a_clear_error(tmp_path: Path) -> None:
    environ = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "npm_config_cache": str(tmp_path / "npm"),
               "npm_config_offline": "true"}  # an empty npm cache, offline: as a machine without network
    environ.pop("RULEPRESS_NODE_MODULES", None)
    with pytest.raises(UserError, match=rf"^could not install {LISTED} for rulepress "
                                        r"with npm ci \(is the npm registry reachable\?\): "):
        node_modules(environ, say=io.StringIO())
    assert not list((tmp_path / "cache" / "rulepress").glob("node-*"))  # nothing half-installed is kept
