"""The two dependency lists (pyproject.toml for pip, environment.yml for conda) must agree."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def pyproject_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    for extra in project.get("optional-dependencies", {}).values():
        names |= {_name(r) for r in extra}
    return names


def conda_dependencies() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = set()
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            names.add(_name(dep))
    return names - {"python", "pip"}


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    pip_only = pyproject_dependencies() - conda_dependencies()
    conda_only = conda_dependencies() - pyproject_dependencies()
    assert not pip_only, f"in pyproject.toml but not environment.yml: {sorted(pip_only)}"
    assert not conda_only, f"in environment.yml but not pyproject.toml: {sorted(conda_only)}"


def test_dependency_names_parse():
    # guards the parser above: a known list must come out exactly
    assert _name("pandas>=2.2") == "pandas"
    assert _name("charset_normalizer >= 3") == "charset-normalizer"
    assert "pandas" in pyproject_dependencies() and "nbval" in pyproject_dependencies()


def test_cli_version_and_help():
    from cemlab import __version__

    out = subprocess.run(
        [sys.executable, "-m", "cemlab.cli", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.strip() == f"cemlab {__version__}"
    out = subprocess.run([sys.executable, "-m", "cemlab.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("validate", "render", "instruments"):
        assert command in out.stdout


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make demo" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
