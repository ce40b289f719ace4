"""Deploying a release: exactly the tagged commit, checked out fresh, deployed by `rulepress deploy` in a
subprocess, one deploy at a time per environment, recorded in the history.

The webhook receiver and the post-receive hook both end here. The deploy runs as
`<python> -m rulepress deploy --root <checkout> --yes [--env NAME]`, so the publishers depend on the deploy
command's interface only; its own checks apply (rules.json must be what the build makes of rules/, no
deploy over a newer catalogue).
"""

from __future__ import annotations

import fcntl
import fnmatch
import re
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rulepress.errors import UserError
from rulepress.gitrun import clean_env, git
from rulepress.release.history import History
from rulepress.release.versions import parse_version, tag_version

ZERO_SHA = "0" * 40
DEFAULT_ENV = "default"  # the label of "the default environment of tenants.toml"
_SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|KEY|CREDENTIAL", re.I)


@dataclass(frozen=True)
class Release:
    ref: str  # refs/tags/v1.2.3
    sha: str  # the commit the tag points to
    version: str  # 1.2.3


@dataclass(frozen=True)
class Publisher:
    """How deploys run: which environments take releases, the Python that runs rulepress, the environment
    variables the deploy reads (tenant credentials, secret values), where locks live."""

    envs: tuple[str, ...] = (DEFAULT_ENV,)
    python: str = "python3"
    environ: Mapping[str, str] = field(default_factory=dict)
    lock_dir: Path = Path(".")
    tag_pattern: str = "v*"
    timeout: float = 1800.0

    def redact(self, text: str) -> str:
        """Text with the values of secret-looking environment variables replaced by ***."""
        for name, value in self.environ.items():
            if len(value) >= 6 and _SECRET_NAME.search(name):
                text = text.replace(value, "***")
        return text


def release_version(ref: str, pattern: str) -> str | None:
    """The version of a pushed ref when it is a release tag matching pattern (e.g. `v*`), else None."""
    if not ref.startswith("refs/tags/") or not fnmatch.fnmatchcase(ref[len("refs/tags/"):], pattern):
        return None
    version = tag_version(ref)
    return ".".join(map(str, version)) if version else None


@contextmanager
def env_lock(lock_dir: Path, env: str) -> Iterator[None]:
    """One deploy at a time per environment, across threads and processes."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / f"{env}.lock", "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def deploy_commit(source: Path, sha: str, env: str, publisher: Publisher) -> tuple[bool, str]:
    """Check out `sha` from the repository at `source` into a temporary folder and deploy it to env.
    Returns (succeeded, output)."""
    environ = clean_env(publisher.environ)
    with tempfile.TemporaryDirectory(prefix="rulepress-release-") as tmp:
        checkout = Path(tmp) / "checkout"
        git(Path(tmp), "clone", "--quiet", "--shared", "--no-checkout", str(source), str(checkout), env=environ)
        git(checkout, "checkout", "--quiet", "--detach", sha, env=environ)
        command = [publisher.python, "-P", "-m", "rulepress", "deploy", "--root", str(checkout), "--yes"]
        if env != DEFAULT_ENV:
            command += ["--env", env]
        try:
            done = subprocess.run(command, cwd=tmp, env=environ, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=publisher.timeout, check=False)
        except subprocess.TimeoutExpired:
            return False, f"the deploy took more than {publisher.timeout:.0f}s and was stopped"
        except OSError as exc:
            return False, f"cannot run {publisher.python}: {exc.strerror}"
        output = done.stdout.decode("utf-8", "replace")
        if done.returncode != 0:
            output += f"\n(rulepress deploy exited with {done.returncode})"
        return done.returncode == 0, output


def run_release(history: History, deploy_id: int, release: Release, env: str, source: Path,
                publisher: Publisher) -> tuple[str, str]:
    """Deploy one queued release to one environment, refusing a version older than the one deployed.
    Returns (state, log); the history row is updated."""
    with env_lock(publisher.lock_dir, env):
        history.start(deploy_id)
        last = history.deployed_version(env)
        new_v, last_v = parse_version(release.version), parse_version(last or "")
        if last_v is not None and new_v is not None and new_v <= last_v:
            word = "the one" if new_v == last_v else "older than the one"
            state, log = "refused", f"v{release.version} is {word} deployed to {env} (v{last}); nothing done"
        else:
            try:
                ok, log = deploy_commit(source, release.sha, env, publisher)
            except UserError as exc:
                ok, log = False, str(exc)
            state = "succeeded" if ok else "failed"
        log = publisher.redact(log)
        history.finish(deploy_id, state, log)
        return state, log


def commit_of(repo: Path, rev: str, environ: Mapping[str, str]) -> str:
    """The commit a sha, tag object or ref name points to."""
    return git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", env=clean_env(environ)).strip()


def queue_release(history: History, delivery: str, release: Release, envs: Sequence[str]) -> list[int]:
    return [history.enqueue(delivery, env, release.ref, release.sha, release.version) for env in envs]
