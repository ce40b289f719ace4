"""Release test helpers: catalogue repositories in tmp_path driven with real git and real bump2version."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

from rulepress.catalogue.build import build
from rulepress.release.hooks import install

BIN = Path(sys.executable).parent

SETUP_CFG = """\
[metadata]
name = catalogue
version = 0.1.0

[rulepress]
# the gallery: only files with `gallery: true` are published
publish = gallery

[bumpversion]
current_version = 0.1.0
commit = True
tag = True
tag_name = v{new_version}
message = Release v{new_version}
tag_message = Release v{new_version}
"""


def tool_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test's environment with this Python's bin folder first on PATH (git, bump2version, rulepress)."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra or {})
    return env


def run(cwd: Path, *cmd: str, env: Mapping[str, str] | None = None, check: bool = True,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, cwd=cwd, env=tool_env(env), capture_output=True, text=True, input=stdin,
                          timeout=300, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done


def git(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    return run(cwd, "git", *args, env=env).stdout


def rule_md(title: str, line: str = "user.seen = true;", *, description: str = "", order: int | None = None) -> str:
    return textwrap.dedent("""\
        ---
        gallery: true
        {order}
        ---
        # {title}

        {description}

        ```js
        function (user, context, callback) {{
          {line}
          callback(null, user, context);
        }}
        ```
        """).format(title=title, line=line, description=description or f"Rule {title}.",
                    order=f"order: {order}" if order is not None else "")


def write_rules(repo: Path, rules: Mapping[str, str]) -> None:
    for name, text in rules.items():
        (repo / "rules" / f"{name}.md").write_text(text, encoding="utf-8")


def make_catalogue(repo: Path, rules: Mapping[str, str], *, hook: bool = True) -> Path:
    """A git repository on branch main with setup.cfg, rules/ and a built rules.json, committed."""
    (repo / "rules").mkdir(parents=True)
    (repo / "setup.cfg").write_text(SETUP_CFG, encoding="utf-8")
    (repo / ".gitignore").write_text(".rulepress-cache/\n", encoding="utf-8")
    write_rules(repo, rules)
    git(repo, "init", "-q", "-b", "main")
    if hook:
        install(repo, "pre-commit")
    build(repo)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "Start the catalogue")
    return repo


def tenant_env(tenant: Any) -> dict[str, str]:
    return {"AUTH0_DOMAIN": tenant.base_url, "AUTH0_CLIENT_ID": tenant.client_id,
            "AUTH0_CLIENT_SECRET": tenant.client_secret}


def tenant_rules(tenant: Any) -> dict[str, str]:
    """name -> script of every rule in the tenant, read through the Management API."""
    session = requests.Session()
    token = session.post(tenant.base_url + "/oauth/token", json={
        "grant_type": "client_credentials", "client_id": tenant.client_id,
        "client_secret": tenant.client_secret, "audience": tenant.base_url + "/api/v2/"}, timeout=10)
    session.headers["Authorization"] = "Bearer " + token.json()["access_token"]
    rules = session.get(tenant.base_url + "/api/v2/rules", timeout=10).json()
    return {r["name"]: r["script"] for r in rules}
