"""The built wheel carries everything the default suite needs: installed into a fresh virtual
environment outside the repository, it runs a zoo cell from a directory that holds only a spec.

The fresh environment gets the wheel (code, bundled specs, the zoo and the NeoX tokenizer) and
nothing else of this project; torch, transformers and transformer_lens come from the running
environment through a path entry, so the test takes seconds instead of a multi-GB install.
"""

import json
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def run(*args, **kwargs):
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def _has_setuptools(major: int) -> bool:
    try:
        import setuptools
    except ImportError:
        return False
    return int(setuptools.__version__.split(".")[0]) >= major


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    isolation = ["--no-build-isolation"] if _has_setuptools(68) else []  # else pip fetches a build env
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-q", "-w", work / "dist", ROOT)
    wheel = next((work / "dist").glob("pytest_mechanisms-*.whl"))
    run(sys.executable, "-m", "venv", "--without-pip", work / "venv")
    python = work / "venv" / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel)
    purelib = Path(
        run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    )
    # the running environment's third-party packages, after the wheel's own (a .pth line adds a
    # path without running that directory's .pth files, so this checkout's editable install stays out)
    (purelib / "running-env.pth").write_text(
        "\n".join([sysconfig.get_paths()["purelib"], *site.getsitepackages()])
    )
    return python, purelib


def test_the_wheel_runs_a_zoo_cell_from_an_empty_project(wheel_env, tmp_path):
    python, purelib = wheel_env
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "mechanisms" / "specs" / "induction.mech.yaml", project / "claim.mech.yaml")
    where = run(
        python,
        "-c",
        "import mechanisms, mechanisms.catalogue.fixtures as f; print(mechanisms.__file__); print(f.zoo_dir())",
        cwd=project,
    ).stdout.split()
    assert all(Path(p).is_relative_to(purelib) for p in where), where  # the wheel's code and zoo
    result = subprocess.run(
        [
            python,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--model-sizes=zoo-890k",
            "--checkpoints=final",
            "--mech-report=rep",
        ],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout
    cell = json.loads((project / "rep" / "results.json").read_text())["cells"][0]
    assert cell["outcome"] == "holds" and Path(cell["provenance"]["model_path"]).is_relative_to(purelib)


def test_the_wheel_ships_a_license_and_the_bundled_specs(wheel_env):
    _, purelib = wheel_env
    specs = sorted(p.name for p in (purelib / "mechanisms" / "specs").glob("*.mech.yaml"))
    assert specs == sorted(p.name for p in (ROOT / "mechanisms" / "specs").glob("*.mech.yaml"))
    dist = next(purelib.glob("pytest_mechanisms-*.dist-info"))
    assert any("MIT License" in p.read_text() for p in dist.rglob("LICENSE*"))
