"""Deploy test fixtures (helpers live in deploy_helpers.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from deploy_helpers import Deployer, Repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


@pytest.fixture
def deployer(repo: Repo, tenant: Any) -> Deployer:
    return Deployer(repo, tenant)


@pytest.fixture
def make_deployer(repo: Repo, tenant_factory: Any) -> Callable[..., Deployer]:
    def make(**options: Any) -> Deployer:
        return Deployer(repo, tenant_factory(**options))

    return make
