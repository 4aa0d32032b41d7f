"""How cemlab is packaged: the two dependency lists (pyproject.toml for pip, environment.yml for
conda) agree, the wheel holds every file of the package and builds without a deprecation
warning, and the installed wheel renders a report away from the checkout."""

from __future__ import annotations

import os
import re
import shutil
import site
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
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
    for command in ("validate", "render", "present", "instruments", "template"):
        assert command in out.stdout


def readme_commands() -> list[str]:
    """The commands of the README's first code block (the two a new user runs), comments off."""
    block = re.search(r"```(?:bash|sh)\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "README.md: no ```bash block"
    lines = (line.split("#", 1)[0].strip() for line in block[1].splitlines())
    return [line for line in lines if line]


def make_recipe(target: str) -> str:
    """The prerequisites and recipe of a Makefile target, as one text."""
    found = re.search(rf"^{re.escape(target)}:(.*?)(?=^\S|\Z)", (ROOT / "Makefile").read_text(),
                      re.S | re.M)
    assert found, f"Makefile: no target {target!r}"
    return found[1]


def test_ci_runs_the_readme_test_command():
    # the README's two commands are make targets that set up .venv first, and CI runs the
    # README's test command as it is written there
    commands = readme_commands()
    assert commands == ["make demo", "make test"], commands
    for command in commands:
        assert make_recipe(command.split()[1]).split("\n", 1)[0].split() == ["$(STAMP)"]
    assert "pytest" in make_recipe("test")
    assert "cemlab render params/" in make_recipe("demo")
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.lstrip().startswith("#")]
    assert "make test" in ci, ci


def test_the_code_is_ruff_clean():
    # the house style (../shared/STYLE.md): ruff clean, with the rules in pyproject.toml
    root = Path(__file__).resolve().parents[1]
    ruff = Path(sys.executable).with_name("ruff")
    found = subprocess.run([str(ruff), "check", "cemlab", "tests", "bench"], cwd=root,
                           capture_output=True, text=True)
    assert found.returncode == 0, found.stdout[-3000:]


# -- the package as pip installs it -------------------------------------------------------------

#: What a build prints when it cannot reach the package index for setuptools (no network).
_OFFLINE = ("NewConnectionError", "Temporary failure in name resolution", "Network is unreachable",
            "No matching distribution found for setuptools")


def _tracked_package_files() -> list[str]:
    """Every file of the cemlab package in the checkout, as a path inside the wheel.

    The files git tracks when this is a git checkout (a scratch file is no part of the package),
    else every file but bytecode.
    """
    listed = subprocess.run(["git", "ls-files", "-z", "cemlab"], cwd=ROOT, capture_output=True)
    if listed.returncode == 0 and listed.stdout:
        return sorted(name for name in listed.stdout.decode().split("\0") if name)
    return sorted(
        path.relative_to(ROOT).as_posix() for path in (ROOT / "cemlab").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory) -> tuple[Path, str]:
    """The wheel pip builds from a copy of the checkout's sources, and what the build printed.

    Built as a user's ``pip install .`` builds it: with build isolation, so the build gets the
    setuptools ``[build-system] requires`` names from the index, not whatever this venv holds.
    From a copy of pyproject.toml, README.md and cemlab/ only (no .git, no build/), so nothing
    but the package-data lists can put a file in the wheel: what an sdist build would get, and
    no stale build/lib file from an earlier build sneaks in. Skipped when the index cannot be
    reached (offline), any other build failure fails.
    """
    source = tmp_path_factory.mktemp("source")
    shutil.copy2(ROOT / "pyproject.toml", source)
    shutil.copy2(ROOT / "README.md", source)
    files = _tracked_package_files()
    for name in files:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-w", str(out),
         str(source)],
        capture_output=True, text=True, timeout=600,
    )
    printed = build.stdout + build.stderr
    if build.returncode != 0:
        if any(sign in printed for sign in _OFFLINE):
            pytest.skip("building the wheel needs setuptools>=77 from the package index, "
                        "which cannot be reached")
        pytest.fail(f"pip wheel failed:\n{printed[-3000:]}")
    [wheel] = out.glob("cemlab-*.whl")
    return wheel, printed


@pytest.mark.slow
def test_the_wheel_holds_every_file_of_the_package(built_wheel):
    # a class test: any file added under cemlab/ (a template, a translation, an instrument, a
    # notebook) that the package-data lists miss is named here
    wheel, _ = built_wheel
    with zipfile.ZipFile(wheel) as archive:
        inside = set(archive.namelist())
    files = _tracked_package_files()
    missing = [name for name in files if name not in inside]
    assert not missing, f"not in {wheel.name} (add them to [tool.setuptools.package-data]): " + (
        ", ".join(missing))
    # the kinds of file the report needs, each there (the listing above is not empty by accident)
    for needed in ("cemlab/notebooks/client_report.ipynb", "cemlab/templates/report.html.j2",
                   "cemlab/locale/pl/LC_MESSAGES/cemlab.po", "cemlab/instruments/cem-maturity.yaml",
                   "cemlab/benchmarks/polska-2008.csv", "cemlab/synth_specs/kestrel-mobile.yaml"):
        assert needed in inside


@pytest.mark.slow
def test_building_the_wheel_prints_no_deprecation_warning(built_wheel):
    # setuptools warns, then one day fails, on deprecated pyproject.toml settings (the license
    # as a table was one: `license = "MIT"` is the SPDX form setuptools>=77 wants)
    _, printed = built_wheel
    warnings = [line.strip() for line in printed.splitlines()
                if re.search(r"deprecat|SetuptoolsWarning|BuildBackendWarning", line, re.I)
                and "Editable installation" not in line]
    assert not warnings, "\n".join(warnings)


def _fresh_venv(folder: Path) -> Path:
    """A new venv whose interpreter sees this venv's dependencies but not its cemlab.

    Its site-packages gets a ``.pth`` naming this venv's site-packages folders. Folders named
    in a .pth go on ``sys.path``, but the ``.pth`` files inside them are not run, so the
    editable install's finder (``__editable__.cemlab-*.pth``) that points at the checkout stays
    off, and ``import cemlab`` can only find the wheel installed into the new venv.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    fresh = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path("
                            "'purelib'))"], capture_output=True, text=True, check=True)
    ours = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(fresh.stdout.strip()) / "borrowed-dependencies.pth").write_text("\n".join(ours) + "\n")
    return python


@pytest.mark.slow
def test_the_installed_wheel_renders_a_report_outside_the_checkout(built_wheel, tmp_path):
    """Install the wheel into a fresh venv and render a demo client from a folder of its own.

    The dependencies are borrowed, not installed: installing pandas, jupyter and the rest into
    a fresh venv takes minutes and the network. The fresh venv sees this venv's site-packages
    through a .pth (`_fresh_venv`) and their data files (nbconvert's templates, the kernel
    spec) through JUPYTER_PATH, which is where pip would have put them. cemlab itself comes
    only from the wheel (`pip install --no-deps`): the test checks that ``import cemlab``
    resolves inside the fresh venv, and the run happens in tmp_path with no PYTHONPATH, so the
    checkout's notebook, templates or translations cannot stand in for missing package data.
    """
    from cemlab.params import data_files, load_params

    wheel, _ = built_wheel
    venv = tmp_path / "venv"
    python = _fresh_venv(venv)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)], check=True, timeout=300)

    # the client's params and data files, at the same places relative to each other
    work = tmp_path / "work"
    params = ROOT / "params" / "kestrel-mobile.yaml"  # feedback and a previous wave: every section
    files = [params, *(Path(f.data) for f in data_files(load_params(params)))]
    for path in files:
        (work / path.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, work / path.relative_to(ROOT))

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env |= {"PYTHONNOUSERSITE": "1", "MPLBACKEND": "Agg",
            "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter"),
            "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"}
    where = subprocess.run(
        [str(python), "-c", "import cemlab, cemlab.render as r; print(cemlab.__file__); "
         "print(r.DEFAULT_NOTEBOOK)"], cwd=work, env=env, capture_output=True, text=True)
    assert where.returncode == 0, where.stderr
    package, notebook = (Path(line) for line in where.stdout.split())
    assert package.is_relative_to(venv) and not package.is_relative_to(ROOT), package
    assert notebook.is_relative_to(venv) and notebook.is_file(), notebook

    render = subprocess.run(
        [str(venv / "bin" / "cemlab"), "render", "params/kestrel-mobile.yaml", "--no-progress"],
        cwd=work, env=env, capture_output=True, text=True, timeout=600,
    )
    assert render.returncode == 0, render.stdout[-2000:] + render.stderr[-2000:]
    report = work / "reports" / "kestrel-mobile"
    html = (report / "report.html").read_text(encoding="utf-8")
    assert "Kestrel Mobile" in html and "<img" in html
    tables = {p.name for p in (report / "tables").glob("*.csv")}
    assert {"key_figures.csv", "scorecard.csv", "nps.csv", "drivers.csv"} <= tables, tables
    assert (work / "reports" / "index.html").is_file()


def test_every_image_the_readme_shows_is_in_the_repository():
    # the screenshots of the demo reports (docs/screenshots/) are files of the checkout, PNGs
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert len([i for i in images if i.startswith("docs/screenshots/")]) >= 12, images
    for image in images:
        path = root / image
        assert path.is_file(), f"README shows {image}, which is not in the repository"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{image} is not a PNG"
