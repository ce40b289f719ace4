"""Deploy environments (tenants) from the committed `tenants.toml`, and where secret values come from.

See docs/DEPLOY.md for the file format. Reading the environment variables happens in `credentials()` and
`secret_values()`, called from the CLI edge with `os.environ`.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rulepress.catalogue.schema import TRIGGERS
from rulepress.errors import UsageError, UserError

CONFIG_FILE = "tenants.toml"
# how many rules a tenant on each plan may hold (the Management API answers 403 past it); None: no limit
RULES_LIMITS: dict[str, int | None] = {"free": 3, "essentials": 10, "professional": 10, "enterprise": None,
                                       "enterprise-nonprod": None}
RATE_PLANS: dict[str, tuple[int, float]] = {
    "free": (2, 2.0),
    "essentials": (10, 2.5),
    "professional": (10, 2.5),
    "enterprise": (50, 16.0),
    "enterprise-nonprod": (10, 2.0),
}
_ENV_KEYS = (
    "domain",
    "domain_env",
    "client_id_env",
    "client_secret_env",
    "templates",
    "exclude",
    "keywords",
    "secrets",
    "triggers",
    "rate_limit",
    "releases",
)
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class Environment:
    name: str
    domain: str | None = None  # a fixed domain or URL; otherwise read from `domain_env`
    domain_env: str = "AUTH0_DOMAIN"
    client_id_env: str = "AUTH0_CLIENT_ID"
    client_secret_env: str = "AUTH0_CLIENT_SECRET"
    templates: tuple[str, ...] = ("*",)  # template ids or glob patterns
    exclude: tuple[str, ...] = ()
    keywords: tuple[tuple[str, str], ...] = ()  # @@NAME@@ in code → value
    secret_env: tuple[tuple[str, str], ...] = ()  # secret or configuration name → environment variable
    triggers: tuple[tuple[str, tuple[str, ...]], ...] = ()  # trigger → template ids, in execution order
    burst: int | None = None
    rate: float | None = None
    releases: bool = False  # a pushed v* tag deploys here (`--releases`)
    plan: str | None = None  # the subscription plan named by rate_limit, when it names one

    def takes(self, template_id: str) -> bool:
        def hit(patterns: Sequence[str]) -> bool:
            return any(fnmatch.fnmatchcase(template_id, p) for p in patterns)

        return hit(self.templates) and not hit(self.exclude)

    def variable_for(self, secret: str) -> str:
        return dict(self.secret_env).get(secret, secret)


@dataclass(frozen=True)
class Credentials:
    domain: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class Environments:
    default: str
    envs: tuple[Environment, ...]
    path: str

    def select(self, name: str | None, all_envs: bool, releases: bool = False) -> list[Environment]:
        if all_envs:
            return list(self.envs)
        if releases:  # none yet is a repository that publishes nowhere: the commands say so
            return [e for e in self.envs if e.releases]
        wanted = name or self.default
        for env in self.envs:
            if env.name == wanted:
                return [env]
        known = ", ".join(e.name for e in self.envs)
        where = self.path if self.path != "(none)" else f"no {CONFIG_FILE}, so the only environment is 'default'"
        raise UsageError(f"--env {wanted}: no such environment ({where}; known: {known})")


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError(f"{where}: expected a list of strings")
    return tuple(value)


def _table(where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UserError(f"{where}: expected a table")
    return value


def _parse_env(path: str, name: str, data: Any) -> Environment:
    where = f"{path}: [env.{name}]"
    table = _table(where, data)
    for key in table:
        if key not in _ENV_KEYS:
            raise UserError(f"{where}: unknown key {key!r}{_did_you_mean(key, _ENV_KEYS)}")
    fields: dict[str, Any] = {"name": name}
    for key in ("domain", "domain_env", "client_id_env", "client_secret_env"):
        if key in table:
            if not isinstance(table[key], str) or not table[key]:
                raise UserError(f"{where}: {key} must be a non-empty string")
            fields[key] = table[key]
    for key in ("templates", "exclude"):
        if key in table:
            fields[key] = _strings(f"{where} {key}", table[key])
    for key, attr in (("keywords", "keywords"), ("secrets", "secret_env")):
        if key in table:
            items = _table(f"{where} {key}", table[key])
            if not all(isinstance(v, str) for v in items.values()):
                raise UserError(f"{where} {key}: every value must be a string")
            fields[attr] = tuple(sorted(items.items()))
    if "triggers" in table:
        triggers = _table(f"{where} triggers", table["triggers"])
        for trigger in triggers:
            if trigger not in TRIGGERS:
                hint = _did_you_mean(trigger, list(TRIGGERS))
                raise UserError(f"{where} triggers: unknown trigger {trigger!r}{hint}")
        fields["triggers"] = tuple(
            sorted((t, _strings(f"{where} triggers.{t}", ids)) for t, ids in triggers.items())
        )
    if "releases" in table:
        if not isinstance(table["releases"], bool):
            raise UserError(f"{where}: releases must be true or false")
        fields["releases"] = table["releases"]
    if "rate_limit" in table:
        fields["burst"], fields["rate"] = _rate_limit(f"{where} rate_limit", table["rate_limit"])
        if isinstance(table["rate_limit"], str):
            fields["plan"] = table["rate_limit"]
    return Environment(**fields)


def _rate_limit(where: str, value: Any) -> tuple[int, float]:
    if isinstance(value, str):
        if value not in RATE_PLANS:
            raise UserError(f"{where}: unknown plan {value!r}{_did_you_mean(value, list(RATE_PLANS))}")
        return RATE_PLANS[value]
    table = _table(where, value)
    burst, rate = table.get("burst"), table.get("per_second")
    if (
        set(table) != {"burst", "per_second"}
        or not isinstance(burst, int)
        or not isinstance(rate, int | float)
        or burst < 1
        or rate <= 0
    ):
        raise UserError(
            f"{where}: expected a plan name or {{burst = N, per_second = R}} with positive numbers"
        )
    return burst, float(rate)


def load(root: Path) -> Environments:
    """The environments of the repository at `root`; one implicit `default` when there is no file."""
    path = root / CONFIG_FILE
    if not path.exists():
        return Environments("default", (Environment("default"),), "(none)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{CONFIG_FILE}: {exc}") from None
    for key in data:
        if key not in ("default", "env"):
            raise UserError(f"{CONFIG_FILE}: unknown key {key!r}{_did_you_mean(key, ['default', 'env'])}")
    envs_table = _table(f"{CONFIG_FILE}: [env]", data.get("env", {}))
    if not envs_table:
        raise UserError(f"{CONFIG_FILE}: no environment; add an [env.NAME] table")
    envs = []
    problems: list[str] = []  # one per environment, all reported at once
    for name, table in envs_table.items():
        if not _NAME.match(name):
            problems.append(
                f"{CONFIG_FILE}: environment name {name!r} may hold only letters, digits, '.', '_', '-'"
            )
            continue
        try:
            envs.append(_parse_env(CONFIG_FILE, name, table))
        except UserError as exc:
            problems.append(str(exc))
    if problems:
        raise UserError("\n".join(problems))
    default = data.get("default", envs[0].name)
    if not isinstance(default, str) or default not in envs_table:
        raise UserError(f"{CONFIG_FILE}: default {default!r} is not one of the environments")
    return Environments(default, tuple(envs), CONFIG_FILE)


def credentials(env: Environment, environ: Mapping[str, str]) -> Credentials:
    """The tenant address and client credentials, from the config and the environment variables."""
    domain = env.domain or environ.get(env.domain_env, "")
    missing = [
        n
        for n, v in (
            (env.domain_env, domain),
            (env.client_id_env, environ.get(env.client_id_env)),
            (env.client_secret_env, environ.get(env.client_secret_env)),
        )
        if not v
    ]
    if missing:
        raise UserError(f"environment {env.name!r}: set {', '.join(missing)}")
    return Credentials(domain, environ[env.client_id_env], environ[env.client_secret_env])


def read_secrets_file(path: Path) -> dict[str, str]:
    """`NAME=value` lines (# comments, blank lines) or a JSON object of strings. No value reaches an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read the secrets file ({exc.strerror})") from None
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise UserError(f"{path}: not a valid JSON object") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise UserError(f"{path}: expected a JSON object of strings")
        return {str(k): v for k, v in data.items()}
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, sep, value = stripped.partition("=")
        if not sep or not name.strip():
            raise UserError(f"{path}:{number}: expected NAME=value")
        out[name.strip()] = value.strip()
    return out


def secret_values(
    env: Environment, names: Sequence[str], environ: Mapping[str, str], from_file: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    """(values found, names missing). The secrets file wins over environment variables."""
    values: dict[str, str] = {}
    missing: list[str] = []
    for name in sorted(set(names)):
        variable = env.variable_for(name)
        value = from_file.get(name, from_file.get(variable)) if from_file else None
        if value is None:
            value = environ.get(variable)
        if value is None or value == "":
            missing.append(name if variable == name else f"{name} (from ${variable})")
        else:
            values[name] = value
    return values, missing
