"""Deploy test helpers: a repository in tmp_path, built for real, deployed over HTTP to the local tenant."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

from rulepress.catalogue import schema
from rulepress.catalogue.build import build
from rulepress.deploy import environments
from rulepress.deploy.flow import Outcome, Target, deploy, make_client

TRIGGERS = {t: handler for t, (_, handler) in schema.TRIGGERS.items()}
SECRETS = {"API_KEY": "sk-live-4f9a1c-very-secret", "GREETING": "hello-config-value-77"}


def action_md(name: str, body: str = "", *, trigger: str = "post-login", extra: str = "") -> str:
    code = body or f'  api.idToken.setCustomClaim("https://example.com/{name}", true);'
    return textwrap.dedent("""\
        ---
        gallery: true
        trigger: {trigger}
        {extra}
        ---
        # {name}

        Action {name}.

        ```js
        exports.onExecute{fn} = async (event, api) => {{
        {code}
        }};
        ```
        """).format(trigger=trigger, extra=extra, name=name, code=code, fn=TRIGGERS[trigger][len("onExecute"):])


def rule_md(name: str, order: int | None = None, *, extra: str = "", body: str = "") -> str:
    return textwrap.dedent("""\
        ---
        gallery: true
        {order}
        {extra}
        ---
        # {name}

        Rule {name}.

        ```js
        function (user, context, callback) {{
          {body}
          callback(null, user, context);
        }}
        ```
        """).format(order=f"order: {order}" if order is not None else "", extra=extra, name=name,
                    body=body or f"user.{name.replace(' ', '_')} = true;")


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "rules").mkdir(parents=True, exist_ok=True)
        self.version("1.0.0")

    def version(self, value: str) -> None:
        (self.root / "setup.cfg").write_text(f"[bumpversion]\ncurrent_version = {value}\n", encoding="utf-8")

    def write(self, files: Mapping[str, str], *, clear: bool = False, tenants: str | None = None) -> None:
        if clear:
            for old in (self.root / "rules").glob("*.md"):
                old.unlink()
        for name, text in files.items():
            (self.root / "rules" / f"{name}.md").write_text(text, encoding="utf-8")
        if tenants is not None:
            (self.root / "tenants.toml").write_text(tenants, encoding="utf-8")
        build(self.root)


class Deployer:
    """Runs rulepress.deploy.deploy against one local tenant and keeps every line it printed."""

    def __init__(self, repo: Repo, tenant: Any) -> None:
        self.repo, self.tenant = repo, tenant
        self.lines: list[str] = []

    def target(self, env: str | None = None, **client: Any) -> Target:
        chosen = environments.load(self.repo.root).select(env, False)[0]
        creds = environments.Credentials(self.tenant.base_url, self.tenant.client_id, self.tenant.client_secret)
        return Target(chosen, creds, make_client(chosen, creds, **client))

    def run(self, *, apply_changes: bool = True, secrets: Mapping[str, str] | None = None, env: str | None = None,
            **options: Any) -> Outcome:
        client = options.pop("client", {})
        outcome = deploy(self.repo.root, [self.target(env, **client)], environ={},
                         file_values=SECRETS if secrets is None else secrets, apply_changes=apply_changes,
                         say=self.lines.append, **options)[0]
        return outcome

    def plan(self, **options: Any) -> Outcome:
        return self.run(apply_changes=False, **options)

    def log(self, since: int = 0) -> list[dict[str, Any]]:
        answer = requests.get(self.tenant.base_url + "/__rulepress/requests", params={"since": since}, timeout=10)
        return list(answer.json()["requests"])

    def last_seq(self) -> int:
        answer = requests.get(self.tenant.base_url + "/__rulepress/requests", params={"since": 10**9}, timeout=10)
        return int(answer.json()["last"])

    def state(self) -> dict[str, Any]:
        return dict(requests.get(self.tenant.base_url + "/__rulepress/state", timeout=10).json())

    def writes(self, since: int = 0) -> list[tuple[str, str]]:
        return [(r["method"], r["path"]) for r in self.log(since)
                if r["method"] not in ("GET",) and r["path"] != "/oauth/token"]


class Api:
    """Plain HTTP calls to a running tenant with a token, to set up what rulepress did not create."""

    def __init__(self, tenant: Any) -> None:
        self.base = tenant.base_url + "/api/v2"
        self.session = requests.Session()
        token = self.session.post(tenant.base_url + "/oauth/token", json={
            "grant_type": "client_credentials", "client_id": tenant.client_id,
            "client_secret": tenant.client_secret, "audience": tenant.base_url + "/api/v2/"}, timeout=10)
        self.session.headers["Authorization"] = "Bearer " + token.json()["access_token"]

    def call(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.session.request(method, self.base + path, json=body, timeout=10)
        assert answer.status_code < 300, answer.text
        return answer.json() if answer.content else None
