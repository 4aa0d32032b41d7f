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


def _specifier(requirement: str) -> str:
    """The version constraint of a requirement, spaces removed and clauses sorted.

    ``"pandas >= 2.2"`` and ``"pandas>=2.2"`` give ``">=2.2"``; ``"x<3,>=1"`` gives ``"<3,>=1"``.
    Extras (``[test]``) and markers (``; python_version...``) are not part of it.
    """
    text = requirement.split(";", 1)[0]
    text = re.sub(r"\[[^\]]*\]", "", text)
    rest = text.strip()[len(_name(text)) :].replace(" ", "")
    return ",".join(sorted(clause for clause in rest.split(",") if clause))


def _requirements(requirements: list[str]) -> dict[str, str]:
    return {_name(r): _specifier(r) for r in requirements}


def pyproject_dependencies() -> dict[str, str]:
    """Name -> version constraint of every dependency, test extras included."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = _requirements(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        found |= _requirements(extra)
    return found


def conda_dependencies() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    found = _requirements([dep for dep in env["dependencies"] if isinstance(dep, str)])
    return {name: spec for name, spec in found.items() if name not in ("python", "pip")}


def drift(pip: dict[str, str], conda: dict[str, str]) -> list[str]:
    """How the two lists disagree: a dependency in one only, or with another version constraint."""
    pip_only, conda_only = sorted(set(pip) - set(conda)), sorted(set(conda) - set(pip))
    problems = [f"in pyproject.toml but not environment.yml: {n}" for n in pip_only]
    problems += [f"in environment.yml but not pyproject.toml: {n}" for n in conda_only]
    problems += [
        f"{n}: {pip[n] or 'any version'} in pyproject.toml, {conda[n] or 'any version'} in "
        "environment.yml"
        for n in sorted(pip.keys() & conda.keys())
        if pip[n] != conda[n]
    ]
    return problems


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    problems = drift(pyproject_dependencies(), conda_dependencies())
    assert not problems, "; ".join(problems)


def test_drift_catches_names_and_version_constraints():
    # guards the comparison above: a hand-made pair of lists must give exactly these problems
    pip = _requirements(["pandas>=2.2", "pytest >= 7.4", "numpy", "tqdm>=4.66"])
    conda = _requirements(["pandas>=1.0", "pytest>=7.4", "numpy", "jinja2>=3.1"])
    assert drift(pip, conda) == [
        "in pyproject.toml but not environment.yml: tqdm",
        "in environment.yml but not pyproject.toml: jinja2",
        "pandas: >=2.2 in pyproject.toml, >=1.0 in environment.yml",
    ]
    assert drift(_requirements(["numpy>=1.26"]), _requirements(["numpy"])) == [
        "numpy: >=1.26 in pyproject.toml, any version in environment.yml"]


def test_dependency_names_parse():
    # guards the parser above: a known list must come out exactly
    assert _name("pandas>=2.2") == "pandas"
    assert _name("charset_normalizer >= 3") == "charset-normalizer"
    assert _specifier("charset_normalizer >= 3") == ">=3"
    assert _specifier("scipy<2, >=1.11") == "<2,>=1.11"
    assert _specifier("nbval[extra]>=0.11; python_version >= '3.11'") == ">=0.11"
    assert _specifier("numpy") == ""
    assert pyproject_dependencies()["pandas"] == ">=2.2"
    assert "nbval" in pyproject_dependencies()


def test_cli_version_and_help():
    from cemlab import __version__

    out = subprocess.run(
        [sys.executable, "-m", "cemlab.cli", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.strip() == f"cemlab {__version__}"
    out = subprocess.run(
        [sys.executable, "-m", "cemlab.cli", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0
    for command in ("validate", "render", "present", "instruments"):
        assert command in out.stdout


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make demo" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_code_is_ruff_clean():
    # the house style (../shared/STYLE.md): ruff clean, with the rules in pyproject.toml
    root = Path(__file__).resolve().parents[1]
    ruff = Path(sys.executable).with_name("ruff")
    found = subprocess.run([str(ruff), "check", "cemlab", "tests", "bench"], cwd=root,
                           capture_output=True, text=True)
    assert found.returncode == 0, found.stdout[-3000:]
