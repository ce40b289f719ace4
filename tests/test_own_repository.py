"""rulepress in a user's own repository, installed from its wheel (not this checkout): init, build from a
subfolder, test, migrate, demo, a release with bump2version, and a push to a bare remote whose post-receive
hook deploys the tag to a local tenant. No file of this project is used after the install, and nothing
reaches an index: the wheel is built here offline, its dependencies come from .wheelhouse (filled by
scripts/bootstrap), and npm installs migrate's packages from its cache."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
WHEELHOUSE = REPO / ".wheelhouse"


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not any(WHEELHOUSE.glob("requests-*.whl")):
        if os.environ.get("CI"):
            pytest.fail(f"{WHEELHOUSE} has no dependency wheels: scripts/bootstrap fills it")
        pytest.skip(f"{WHEELHOUSE} has no dependency wheels: run scripts/bootstrap")
    work = tmp_path_factory.mktemp("own")
    wheels = work / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "-w", str(wheels), str(REPO)], check=True, capture_output=True, timeout=300)
    env_dir = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, timeout=300)
    started = time.monotonic()
    subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-index",
                    "--disable-pip-version-check", "--find-links", str(wheels), "--find-links", str(WHEELHOUSE),
                    "rulepress"], check=True, capture_output=True, timeout=600)
    (work / "install-seconds").write_text(f"{time.monotonic() - started:.1f}")
    return env_dir


def run(venv: Path, cwd: Path, *args: str, env: dict[str, str] | None = None, check: bool = True,
        stdin: Any = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    environ["PATH"] = f"{venv / 'bin'}{os.pathsep}{environ['PATH']}"
    environ.update(env or {})
    done = subprocess.run(list(args), cwd=cwd, env=environ, capture_output=True, text=True, timeout=300,
                          stdin=stdin)
    if check:
        assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done


def test_a_repository_of_ones_own_from_init_to_a_published_release(venv: Path, tmp_path: Path,
                                                                   tenant_factory: Any) -> None:
    python = str(venv / "bin" / "python")
    where = run(venv, tmp_path, python, "-c", "import rulepress, sys; print(rulepress.__file__)").stdout
    assert str(venv) in where and str(REPO) not in where  # the installed wheel, not this checkout
    user = tmp_path / "our-rules"
    init = run(venv, tmp_path, "rulepress", "init", str(user))
    assert "built rules.json: 2 template(s) published" in init.stdout
    assert sorted(p.name for p in (user / "rules").iterdir()) == ["add-email-domain-claim.md",
                                                                  "require-verified-email.md"]
    for rel in ("setup.cfg", "tenants.toml", ".gitignore", "CHANGELOG.md", ".github/workflows/rulepress.yml",
                ".pre-commit-config.yaml", ".git/hooks/pre-commit"):
        assert (user / rel).is_file(), rel
    again = run(venv, user, "rulepress", "init")  # nothing is overwritten without --force
    assert again.stdout.count("kept ") == 8 and "wrote" not in again.stdout

    sub = run(venv, user / "rules", python, "-m", "rulepress", "build", "--check", "--strict")  # from a subfolder
    assert "rules.json is up to date" in sub.stdout
    tests = run(venv, user / "rules", "rulepress", "test")
    assert tests.stdout.splitlines()[-1] == "4 passed, 0 failed"
    migrated = run(venv, user, "rulepress", "migrate", "rules/add-email-domain-claim.md")
    assert "complete" in migrated.stdout
    run(venv, user, "rulepress", "build", "--strict")
    demo = run(venv, user, "rulepress", "demo")
    assert "second plan: nothing to do" in demo.stdout

    git_env = {"GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.invalid", "GIT_COMMITTER_NAME": "A",
               "GIT_COMMITTER_EMAIL": "a@example.invalid"}
    run(venv, user, "git", "add", "-A", env=git_env)
    run(venv, user, "git", "commit", "-q", "-m", "Start the catalogue", env=git_env)
    bumped = run(venv, user, "bump2version", "patch", env=git_env)
    assert "release v0.1.1 prepared" in bumped.stderr
    assert run(venv, user, "git", "tag").stdout.split() == ["v0.1.1"]
    assert "## v0.1.1 (" in (user / "CHANGELOG.md").read_text()

    tenant = tenant_factory()
    remote = tmp_path / "remote.git"
    run(venv, tmp_path, "git", "init", "-q", "--bare", str(remote))
    env_file = tmp_path / "deploy.env"
    env_file.write_text(f"AUTH0_DOMAIN={tenant.base_url}\nAUTH0_CLIENT_ID={tenant.client_id}\n"
                        f"AUTH0_CLIENT_SECRET={tenant.client_secret}\n")
    run(venv, tmp_path, "rulepress", "hooks", "install", "--post-receive", "--repo", str(remote),
        "--env-file", str(env_file))
    run(venv, user, "git", "remote", "add", "origin", str(remote))
    pushed = run(venv, user, "git", "push", "--follow-tags", "origin", "HEAD:main", env=git_env)
    assert "rulepress: v0.1.1 to default: succeeded" in pushed.stderr, pushed.stderr
    assert tenant.client_secret not in pushed.stderr
    nowhere = run(venv, user, "rulepress", "deploy", "--releases", "--yes")  # what the workflow runs on a tag
    assert "no environment in tenants.toml takes releases" in nowhere.stderr  # and exits 0: nothing to publish
    assert run(venv, user, "git", "branch", "--show-current").stdout.strip() == "main"  # the workflow's branch

    plan = run(venv, user, "rulepress", "plan", env={"AUTH0_DOMAIN": tenant.base_url,
                                                      "AUTH0_CLIENT_ID": tenant.client_id,
                                                      "AUTH0_CLIENT_SECRET": tenant.client_secret})
    assert plan.stdout.rstrip().endswith("nothing to do")
    refused = run(venv, user, "rulepress", "deploy", check=False,
                  env={"AUTH0_DOMAIN": tenant.base_url, "AUTH0_CLIENT_ID": tenant.client_id,
                       "AUTH0_CLIENT_SECRET": tenant.client_secret})
    assert refused.returncode == 0 and "nothing to do" in refused.stdout  # nothing to confirm: no refusal


def test_init_completes_an_existing_repository_without_overwriting_it(tmp_path: Path) -> None:
    """In-process (the wheel test above covers installation): init in a repository that already has a
    catalogue, a setup.cfg without the release flow, a .gitignore, a hook of its own and a master branch."""
    from rulepress.cli import main

    repo = tmp_path / "theirs"
    (repo / "rules").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "--initial-branch=master", str(repo)], check=True)
    (repo / "rules" / "mine.md").write_text("---\ngallery: true\n---\n# Mine\n\n```js\n"
                                            "function (user, context, callback) { callback(null, user, context); }\n"
                                            "```\n")
    (repo / "setup.cfg").write_text("[metadata]\nname = theirs\n")
    (repo / ".gitignore").write_text("node_modules/\n")
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho their hook\n")
    assert main(["init", str(repo)]) == 0
    assert sorted(p.name for p in (repo / "rules").glob("*.md")) == ["mine.md"]  # no examples published
    cfg = (repo / "setup.cfg").read_text()
    assert cfg.startswith("[metadata]\nname = theirs\n") and "[rulepress]" in cfg and "[bumpversion]" in cfg
    assert (repo / ".gitignore").read_text().startswith("node_modules/\n.rulepress-cache/\n")
    assert hook.read_text() == "#!/bin/sh\necho their hook\n"  # kept
    assert "branches: [master]" in (repo / ".github" / "workflows" / "rulepress.yml").read_text()
    assert (repo / "rules.json").exists()
    inner = repo / "sub"
    inner.mkdir()
    assert main(["init", str(inner)]) == 1  # inside their repository: no nested one
    assert not (inner / ".git").exists()
