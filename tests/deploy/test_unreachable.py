"""An address where nothing answers fails at once, without retries: a wrong domain or a tenant that is not
running is not a passing fault."""

from __future__ import annotations

import socket

import pytest

from rulepress.errors import UserError
from rulepress.remote.client import Client


def test_a_refused_connection_is_not_retried() -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = Client(f"http://127.0.0.1:{port}", "id", "secret", sleep=lambda _: pytest.fail("no pause"))
    with pytest.raises(UserError) as failed:
        client.token()
    assert str(failed.value) == (f"POST http://127.0.0.1:{port}/oauth/token: cannot connect ([Errno 111] "
                                 "Connection refused); nothing has answered at this address: check the domain "
                                 "and that the tenant is reachable")
    assert client.stats.retries == 0
