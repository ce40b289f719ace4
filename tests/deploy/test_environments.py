"""tenants.toml: the committed file is valid against the committed catalogue; mistakes get clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from rulepress.catalogue.rulesjson import read_entries
from rulepress.deploy import environments
from rulepress.deploy.desired import desired_state, secret_names
from rulepress.errors import UserError

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_environments_fit_the_committed_catalogue() -> None:
    envs = environments.load(REPO_ROOT)
    entries = read_entries(REPO_ROOT / "rules.json")
    assert envs.default == "local"
    for env in envs.envs:
        names = secret_names(entries, env)
        desired = desired_state(entries, env, {n: "value" for n in names}, "key")
        assert desired.actions
        for trigger, ids in env.triggers:
            assert desired.bindings[trigger][: len(ids)] == ids
    prod = envs.select("prod", False)[0]
    assert (prod.burst, prod.rate) == (50, 16.0)
    assert prod.variable_for("AWS_SES_KEY") == "AWS_SES_KEY"
    assert envs.select(None, False)[0].variable_for("AUTH0_CLIENT_SECRET") == "LINK_ACCOUNTS_CLIENT_SECRET"
    assert [e.name for e in envs.select(None, False, releases=True)] == ["staging", "prod"]


def test_releases_need_an_environment_that_takes_them(tmp_path: Path) -> None:
    toml = tmp_path / "tenants.toml"
    toml.write_text("[env.dev]\n[env.live]\nreleases = true\n", encoding="utf-8")
    assert [e.name for e in environments.load(tmp_path).select(None, False, releases=True)] == ["live"]
    toml.write_text("[env.dev]\nreleases = 'yes'\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"^tenants.toml: \[env.dev\]: releases must be true or false$"):
        environments.load(tmp_path)
    toml.write_text("[env.dev]\n", encoding="utf-8")
    # no environment takes releases: none is selected (the commands say so and exit 0)
    assert environments.load(tmp_path).select(None, False, releases=True) == []


@pytest.mark.parametrize(("text", "message"), [
    ("[env.dev]\ntempaltes = ['*']\n", "tenants.toml: [env.dev]: unknown key 'tempaltes' (did you mean 'templates'?)"),
    ("[env.dev]\nrate_limit = 'enterprize'\n",
     "tenants.toml: [env.dev] rate_limit: unknown plan 'enterprize' (did you mean 'enterprise'?)"),
    ("default = 'prod'\n[env.dev]\n", "tenants.toml: default 'prod' is not one of the environments"),
    ("[env.dev]\ntemplates = 'all'\n", "tenants.toml: [env.dev] templates: expected a list of strings"),
    ("[env.dev\n", "tenants.toml: Expected ']' at the end of a table declaration (at line 1, column 9)"),
    ("[env.dev.triggers]\npost-logn = ['a']\n",
     "tenants.toml: [env.dev] triggers: unknown trigger 'post-logn' (did you mean 'post-login'?)"),
    ("[env.a]\nrate_limit = 'platinum'\n[env.b]\ntempaltes = []\n",
     "tenants.toml: [env.a] rate_limit: unknown plan 'platinum'\n"
     "tenants.toml: [env.b]: unknown key 'tempaltes' (did you mean 'templates'?)"),
])
def test_config_mistakes_are_reported_clearly(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "tenants.toml").write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as info:
        environments.load(tmp_path)
    assert str(info.value) == message


def test_secrets_file_wins_and_missing_names_are_listed(tmp_path: Path) -> None:
    env = environments.Environment("dev", secret_env=(("B", "DEV_B"),))
    path = tmp_path / "s.env"
    path.write_text("# comment\nA = from-file\n", encoding="utf-8")
    values, missing = environments.secret_values(env, ["A", "B", "C"], {"A": "from-env", "C": ""},
                                                 environments.read_secrets_file(path))
    assert values == {"A": "from-file"}
    assert missing == ["B (from $DEV_B)", "C"]
    path.write_text("no equals sign here\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"s\.env:1: expected NAME=value$"):
        environments.read_secrets_file(path)
