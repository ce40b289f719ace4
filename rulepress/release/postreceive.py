"""The post-receive hook of a self-hosted bare repository: each pushed release tag is deployed to the
release environments, in push order, while the pusher sees the output (`remote: ...`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from rulepress.errors import UserError
from rulepress.release.history import History
from rulepress.release.publish import (
    ZERO_SHA,
    Publisher,
    Release,
    commit_of,
    queue_release,
    release_version,
    run_release,
)


def handle_push(lines: Iterable[str], repo: Path, history: History, publisher: Publisher,
                say: Callable[[str], None]) -> int:
    """Deploy every release tag in the post-receive input (`<old> <new> <ref>` lines); returns the number
    of failed or refused deploys."""
    bad = 0
    for line in lines:
        parts = line.split()
        if len(parts) != 3:
            continue
        _, new, ref = parts
        if new == ZERO_SHA:
            continue  # a deleted ref
        version = release_version(ref, publisher.tag_pattern)
        if version is None:
            say(f"rulepress: {ref} is not a release tag ({publisher.tag_pattern}); nothing deployed")
            continue
        try:
            sha = commit_of(repo, new, publisher.environ)
        except UserError as exc:
            say(f"rulepress: {ref}: {exc}")
            bad += 1
            continue
        release = Release(ref, sha, version)
        if not history.new_delivery(f"post-receive:{ref}:{sha}", "post-receive"):
            say(f"rulepress: {ref} ({sha[:12]}) was handled before; nothing deployed")
            continue
        for env, deploy_id in zip(publisher.envs, queue_release(history, f"post-receive:{ref}:{sha}", release,
                                                                publisher.envs), strict=True):
            say(f"rulepress: deploying v{version} ({sha[:12]}) to {env}...")
            state, log = run_release(history, deploy_id, release, env, repo, publisher)
            for text in log.rstrip().splitlines():
                say(f"  {text}")
            say(f"rulepress: v{version} to {env}: {state} (deploy #{deploy_id})")
            bad += state != "succeeded"
    return bad
