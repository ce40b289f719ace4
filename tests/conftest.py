"""Shared fixtures. Every test may only reach loopback addresses; git identities are pinned."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(address: Any) -> None:
    if isinstance(address, tuple) and address:
        host = address[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            if host != "localhost":
                raise OSError(f"test tried to reach a non-loopback host {host!r}") from None
            return
        if not ip.is_loopback:
            raise OSError(f"test tried to reach a non-loopback address {host!r}")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any attempt to open a connection to anything but loopback."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    yield


@pytest.fixture(autouse=True)
def npm_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """npm, which rulepress runs to install migrate's packages, works from its cache only: filled by
    scripts/bootstrap, so that no test reaches a registry."""
    monkeypatch.setenv("npm_config_offline", "true")


@pytest.fixture(autouse=True)
def no_rule_packages(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The packages a rule pins (`require('moment@2.29.4')`) come from an empty folder and are never fetched:
    whatever this machine's caches hold, a pinned package rulepress does not ship runs as a stand-in in every
    test run alike (tests/migrate/test_differential.py puts one there by hand)."""
    monkeypatch.setenv("RULEPRESS_PACKAGES_DIR", str(tmp_path_factory.mktemp("rule-packages")))
    monkeypatch.setenv("RULEPRESS_FETCH_PACKAGES", "0")


@pytest.fixture(autouse=True)
def pinned_git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for var, value in {
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.invalid",
        "GIT_COMMITTER_NAME": "Test Committer",
        "GIT_COMMITTER_EMAIL": "committer@example.invalid",
        "GIT_CONFIG_NOSYSTEM": "1",
    }.items():
        monkeypatch.setenv(var, value)


# -- the local tenant (issue 3; see docs/TENANT.md) -------------------------------------------------


@pytest.fixture
def tenant_factory() -> Iterator[Any]:
    """Start local tenants with any options: `tenant_factory(tls=True, plan="free")`. Stopped at the end."""
    from rulepress.tenant import start_tenant

    started: list[Any] = []

    def factory(**options: Any) -> Any:
        running = start_tenant(**options)
        started.append(running)
        return running

    yield factory
    for running in started:
        running.stop()


@pytest.fixture
def tenant(tenant_factory: Any) -> Any:
    """A fresh local tenant over plain HTTP on 127.0.0.1 (in memory, no rate limit, fast builds)."""
    return tenant_factory()
