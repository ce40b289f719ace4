"""What a local tenant can be told at start: the same choices as `rulepress tenant serve`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_CLIENT_ID = "rulepress-local-client"
DEFAULT_CLIENT_SECRET = "rulepress-local-secret-change-me"

RULE_SCOPES = ("read:rules", "create:rules", "update:rules", "delete:rules")
RULES_CONFIG_SCOPES = ("read:rules_configs", "update:rules_configs", "delete:rules_configs")
ACTION_SCOPES = ("read:actions", "create:actions", "update:actions", "delete:actions")
ALL_SCOPES: tuple[str, ...] = RULE_SCOPES + RULES_CONFIG_SCOPES + ACTION_SCOPES


@dataclass(frozen=True)
class Plan:
    """A subscription plan: its Management API token bucket and its rules entity limit."""

    name: str
    burst: int
    rate: float  # tokens per second
    rules_limit: int | None


PLANS: dict[str, Plan] = {
    "free": Plan("free", 2, 2.0, 3),
    "essentials": Plan("essentials", 10, 150 / 60, 10),
    "professional": Plan("professional", 10, 150 / 60, 10),
    "enterprise": Plan("enterprise", 50, 16.0, None),
    "enterprise-nonprod": Plan("enterprise-nonprod", 10, 2.0, None),
}


@dataclass(frozen=True)
class TenantOptions:
    """Everything a tenant can be started with. Defaults suit tests: fast builds, no rate limit."""

    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    scopes: tuple[str, ...] = ALL_SCOPES
    tls: bool = False
    tls_dir: Path | None = None  # where the CA and server certificate go; a temp dir if None
    state: Path | None = None  # SQLite file; in memory if None
    plan: str | None = None
    rate: float | None = None  # overrides the plan's sustained rate (requests per second)
    burst: int | None = None  # overrides the plan's burst
    rules_limit: int | None = None  # overrides the plan's rules entity limit
    rules_deprecated: bool = False
    build_seconds: float = 0.1
    deploy_seconds: float | None = None  # how long until a new version shows deployed; build_seconds if None
    fault_rate: float = 0.0  # fraction of API calls answered 5xx
    fault_seed: int = 0
    latency_ms: float = 0.0  # added to every API call
    drop_rate: float = 0.0  # fraction of API calls whose connection is dropped without an answer
    token_lifetime: int = 86400
    max_body_bytes: int = 1024 * 1024
    node: str = "node"
    log_limit: int = 200_000  # request log entries kept for introspection

    def resolved_plan(self) -> Plan | None:
        """The effective rate limit, or None when the rate limit is off."""
        base = PLANS[self.plan] if self.plan else None
        if base is None and self.rate is None and self.burst is None:
            return None
        rate = self.rate if self.rate is not None else (base.rate if base else 10.0)
        burst = self.burst if self.burst is not None else (base.burst if base else max(1, int(rate)))
        return Plan(base.name if base else "custom", burst, rate, base.rules_limit if base else None)

    def effective_rules_limit(self) -> int | None:
        if self.rules_limit is not None:
            return self.rules_limit
        return PLANS[self.plan].rules_limit if self.plan else None

    def validate(self) -> list[str]:
        """Problems with these options, as messages for a user."""
        problems = []
        if self.plan is not None and self.plan not in PLANS:
            problems.append(f"unknown plan {self.plan!r} (choose from {', '.join(sorted(PLANS))})")
        for name in ("fault_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                problems.append(f"{name.replace('_', '-')} must be between 0 and 1, not {value}")
        if self.rate is not None and self.rate <= 0:
            problems.append(f"rate must be positive, not {self.rate}")
        if self.burst is not None and self.burst < 1:
            problems.append(f"burst must be at least 1, not {self.burst}")
        if self.build_seconds < 0 or self.latency_ms < 0:
            problems.append("build-seconds and latency-ms cannot be negative")
        if not self.client_id or not self.client_secret:
            problems.append("client id and secret cannot be empty")
        if not 0 <= self.port <= 65535:
            problems.append(f"port must be between 0 and 65535, not {self.port}")
        return problems
