"""One home per deployment rule: the documentation and the examples agree with it."""

import re
import tomllib
from pathlib import Path

from common.deploy_rules import (
    DEVELOPMENT_SECRET_KEY,
    PLACEHOLDER_SECRETS,
    REQUIRED_ENVIRONMENT,
    environment_missing,
    secret_key_is_placeholder,
)

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"`([A-Z][A-Z0-9_]+)`")


def env_file(name: str) -> dict[str, str]:
    values = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def paragraph(path: str, starts: str) -> str:
    text = (ROOT / path).read_text()
    block = next(b for b in text.split("\n\n") if b.startswith(starts))
    return block


def test_the_readme_lists_exactly_the_required_variables():
    names = NAME.findall(paragraph("README.md", "Required in production"))
    assert names == list(REQUIRED_ENVIRONMENT)


def test_the_launch_guide_and_the_deployment_guide_name_the_same_list():
    launch = next(line for line in (ROOT / "docs/launch.md").read_text().splitlines()
                  if line.startswith("| `environment_configured` |"))
    assert NAME.findall(launch.split("|")[3]) == list(REQUIRED_ENVIRONMENT)
    preflight = next(line for line in (ROOT / "docs/deployment.md").read_text().splitlines()
                     if line.startswith("| environment variables |"))
    assert NAME.findall(preflight.partition("nor its")[0]) == list(REQUIRED_ENVIRONMENT)


def test_the_production_example_sets_every_required_variable():
    assert environment_missing(env_file(".env.production.example")) == []
    documented = (ROOT / "docs/deployment.md").read_text()
    assert [n for n in REQUIRED_ENVIRONMENT if f"`{n}`" not in documented] == []


def test_every_shipped_secret_key_is_a_known_placeholder():
    shipped = [env_file(".env.example")["SECRET_KEY"],
               env_file(".env.production.example")["SECRET_KEY"], DEVELOPMENT_SECRET_KEY]
    pytest_env = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    shipped += [v.partition("SECRET_KEY=")[2] for v in pytest_env["ini_options"]["env"]
                if "SECRET_KEY=" in v]
    assert len(shipped) == 4
    assert set(shipped) <= PLACEHOLDER_SECRETS
    assert all(secret_key_is_placeholder(key) for key in shipped)
    assert not secret_key_is_placeholder("x" * 50)


def test_a_file_form_satisfies_its_variable():
    environ = {n: "set" for n in REQUIRED_ENVIRONMENT if n != "SECRET_KEY"}
    assert environment_missing(environ) == ["SECRET_KEY"]
    assert environment_missing({**environ, "SECRET_KEY_FILE": "/run/secrets/key"}) == []
