"""Release tests run git with an empty global configuration: a developer's core.hooksPath, commit signing or
default branch must not change what the hooks do (or where `hooks install` writes)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def empty_global_git_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path_factory.mktemp("git-global") / "gitconfig"
    config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


