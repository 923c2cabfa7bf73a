"""The lesson in a real browser: JupyterLab on loopback, driven in headless Chromium.

Opens the self-learner notebook, runs its setup cell and the cost-calculator cell, moves the
"parameters" slider and checks that the "Training compute:" line follows it. Leaves a
screenshot, the server log and the browser console under test-artifacts/ (also on failure).

Needs Debian's Chromium (tests/browser_setup.sh installs it when /usr/bin/chromium is missing)
and the `playwright` package from requirements-dev.txt, which drives that browser directly:
Playwright's own browser download is never used.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from conftest import ROOT

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SETUP_SCRIPT = ROOT / "tests" / "browser_setup.sh"
ARTIFACTS = ROOT / "test-artifacts"
NOTEBOOK = "notebooks/lesson02.ipynb"
WIDGET_CALL = "cost_calculator()"
COURSE_ID = "how-models-are-trained"
# Without these, Chromium keeps trying hosts that a closed network refuses.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
NUMBER = r"([0-9][0-9,]*(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)"
# "Training compute: 1.62e+21 FLOPs", and where the line spells it out, "(6 x N parameters x D tokens)".
COMPUTE = re.compile(rf"Training compute:\s*{NUMBER}(?:\s*FLOPs \(6 x {NUMBER} parameters x "
                     rf"{NUMBER} tokens\))?")
EXCHANGE_ERRORS = re.compile(r"exchange directory|Unwritable directory|not writable", re.I)

# Bounded waits, generous because the test machines are shared (milliseconds for Playwright).
SERVER_START_S = 120
PAGE_MS = 120_000
KERNEL_MS = 120_000
CELL_MS = 180_000
CHANGE_MS = 30_000


# --------------------------------------------------------------------------- set-up helpers

@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed by tests/browser_setup.sh when it is missing."""
    if not CHROMIUM.exists():
        started = time.monotonic()
        proc = subprocess.run(["bash", str(SETUP_SCRIPT)], capture_output=True, text=True,
                              timeout=900)
        assert proc.returncode == 0, (
            f"{SETUP_SCRIPT.name} failed ({proc.returncode}):\n{proc.stdout[-3000:]}"
            f"\n{proc.stderr[-3000:]}")
        print(f"installed Chromium in {time.monotonic() - started:.0f} s")
    assert os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is not executable"
    return CHROMIUM


def widget_cell_index(nb: dict) -> tuple[int, int]:
    """Indices (among all cells) of the first code cell and the first cost-calculator cell."""
    code = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    widget = [i for i in code if WIDGET_CALL in c_src(nb["cells"][i])]
    assert code, "the notebook has no code cell"
    assert widget, f"{NOTEBOOK} has no code cell that calls {WIDGET_CALL}"
    assert widget[0] != code[0], "the widget cell should come after the setup cell"
    return code[0], widget[0]


def c_src(cell: dict) -> str:
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_command() -> list[str]:
    """JupyterLab from the environment running the tests (the project's venv)."""
    exe = Path(sys.executable).with_name("jupyter-lab")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "jupyterlab"]


def wait_for_server(proc: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {SERVER_START_S} s:\n{log.read_text()[-3000:]}")


def stop_server(proc: subprocess.Popen, base: str, token: str) -> None:
    """Shut the server down (kernels included); whatever is left after that is killed."""
    try:
        family = [psutil.Process(proc.pid)] + psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    if proc.poll() is None:
        try:
            req = urllib.request.Request(f"{base}/api/shutdown", method="POST",
                                         headers={"Authorization": f"token {token}"})
            urllib.request.urlopen(req, timeout=10).close()
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
    # Kernels run in sessions of their own; make sure none outlives the server.
    _, alive = psutil.wait_procs(family, timeout=10)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=10)


@pytest.fixture
def lab(tmp_path: Path):
    """JupyterLab serving a copy of the course (so autosave never touches the project)."""
    course = tmp_path / "course"
    (course / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / NOTEBOOK, course / NOTEBOOK)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    # nbgrader_config.py puts the exchange in .exchange beside it; nbgrader's assignment list
    # answers "The exchange directory does not exist" until that folder is there.
    (course / ".exchange").mkdir()
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "jupyterlab-server.log"
    port, token = free_port(), secrets.token_hex(24)
    base = f"http://127.0.0.1:{port}"
    # No "get notified about Jupyter news?" question over the page (and no news fetch).
    notification = tmp_path / "lab-settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = dict(os.environ,
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "lab-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "lab-workspaces"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               IPYTHONDIR=str(tmp_path / "ipython"),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.pop("COURSE_EXCHANGE", None)
    cmd = lab_command() + [
        "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course}",
        "--allow-root", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=course, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_server(proc, f"{base}/api/status?token={token}", log)
        yield {"base": base, "token": token, "log": log, "course": course, "proc": proc}
    finally:
        stop_server(proc, base, token)
    assert proc.poll() is not None


# --------------------------------------------------------------------------- the test

def output_text(locator) -> str:
    return locator.inner_text(timeout=PAGE_MS)


def num(text: str) -> float:
    return float(text.replace(",", ""))


def follows(m: re.Match, shown: str, before: re.Match, shown_before: str) -> bool:
    """True when the compute has moved with the parameter count (the tokens stay put)."""
    return num(m.group(1)) / num(before.group(1)) == pytest.approx(
        num(shown) / num(shown_before), rel=0.03)


def wait_for_change(out, readout, before: re.Match, shown_before: str) -> tuple[re.Match, str]:
    """The "Training compute:" line once it has changed and caught up with the slider's readout.

    Each key press sends a value to the kernel, so the line passes through intermediate values
    before it shows the one the slider ends on. Bounded wait.
    """
    deadline = time.monotonic() + CHANGE_MS / 1000
    text = shown = ""
    while time.monotonic() < deadline:
        shown, text = readout.inner_text(), output_text(out)
        m = COMPUTE.search(text)
        if m and m.group(0) != before.group(0) and follows(m, shown, before, shown_before):
            return m, shown
        time.sleep(0.25)
    pytest.fail(f"the 'Training compute:' line did not follow the slider within "
                f"{CHANGE_MS / 1000:.0f} s (slider {shown_before} -> {shown}); before:\n"
                f"{before.group(0)}\nnow:\n{text}")


def run_cell(page, cell) -> None:
    """Select a cell by its prompt (command mode) and run it in place with Ctrl+Enter."""
    from playwright.sync_api import expect

    cell.scroll_into_view_if_needed(timeout=PAGE_MS)
    cell.locator(".jp-InputPrompt").click(timeout=PAGE_MS)
    expect(cell).to_have_class(re.compile(r"\bjp-mod-selected\b"), timeout=PAGE_MS)
    page.keyboard.press("Control+Enter")


def test_cost_calculator_widget_follows_its_slider(chromium: Path, lab, tmp_path: Path):
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: install requirements-dev.txt "
                    "(./course test does)")

    nb = json.loads((lab["course"] / NOTEBOOK).read_text())
    setup_idx, widget_idx = widget_cell_index(nb)
    shot = ARTIFACTS / "browser-widget.png"
    shot.unlink(missing_ok=True)
    console: list[str] = []

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(chromium), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900},
            timeout=PAGE_MS)
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(PAGE_MS)
            page.on("console", lambda m: console.append(f"[{m.type}] {m.text}"))
            page.on("pageerror", lambda e: console.append(f"[pageerror] {e}"))
            try:
                page.goto(f"{lab['base']}/lab/tree/{NOTEBOOK}?token={lab['token']}",
                          timeout=PAGE_MS)
                panel = page.locator(".jp-NotebookPanel").first
                expect(panel).to_be_visible(timeout=PAGE_MS)
                cells = panel.locator(".jp-Notebook .jp-Cell")
                expect(cells).to_have_count(len(nb["cells"]), timeout=PAGE_MS)
                expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
                       .first).to_be_attached(timeout=KERNEL_MS)

                # The setup cell, then the calculator cell, and nothing else of the lesson.
                setup, widget = cells.nth(setup_idx), cells.nth(widget_idx)
                expect(widget).to_contain_text(WIDGET_CALL)
                for cell in (setup, widget):
                    run_cell(page, cell)
                    expect(cell.locator(".jp-InputPrompt")).to_have_text(
                        re.compile(r"^\s*\[\d+\]:\s*$"), timeout=CELL_MS)
                    text = output_text(cell.locator(".jp-Cell-outputWrapper"))
                    assert "Traceback" not in text, text[-3000:]

                slider = widget.locator(".widget-hslider").filter(
                    has=page.locator(".widget-label", has_text=re.compile(r"^\s*parameters\s*$")))
                expect(slider).to_have_count(1, timeout=CELL_MS)
                # The calculator's text, whatever widget shows it, is in the cell's output.
                out = widget.locator(".jp-Cell-outputArea")
                expect(out).to_contain_text("Training compute:", timeout=CELL_MS)
                before = COMPUTE.search(output_text(out))
                assert before, output_text(out)
                readout = slider.locator(".widget-readout")
                readout_before = readout.inner_text()

                handle = slider.locator(".noUi-handle")
                handle.scroll_into_view_if_needed()
                handle.focus()
                for _ in range(4):
                    page.keyboard.press("ArrowRight")

                after, readout_after = wait_for_change(out, readout, before, readout_before)
                out.scroll_into_view_if_needed()
                page.screenshot(path=str(shot))

                # ArrowRight raised the parameter count, and the compute with it.
                assert num(readout_after) > num(readout_before)
                assert num(after.group(1)) > num(before.group(1)), (before[0], after[0])
                for m, shown in ((before, readout_before), (after, readout_after)):
                    if m.group(2):  # the line spells out 6 x N x D: N is the slider's value
                        flops, n, d = (num(g) for g in m.groups())
                        assert n == pytest.approx(num(shown), rel=0.01), (m[0], shown)
                        assert flops == pytest.approx(6 * n * d, rel=0.01), m[0]

                # nbgrader's assignment list (the student side) must find its exchange.
                headers = {"Authorization": f"token {lab['token']}"}
                for path in ("/courses", f"/assignments?course_id={COURSE_ID}"):
                    resp = page.request.get(lab["base"] + path, headers=headers,
                                            timeout=PAGE_MS)
                    assert resp.ok, (path, resp.status, resp.text()[:2000])
                    body = resp.json()
                    assert body.get("success") is True, (path, body)
            finally:
                if not shot.exists():
                    try:
                        page.screenshot(path=str(shot), timeout=30_000)
                    except Exception as exc:  # the page may be gone; the log says why
                        console.append(f"[test] no screenshot: {exc}")
                (ARTIFACTS / "browser-console.log").write_text("\n".join(console) + "\n")
        finally:
            context.close()

    log = lab["log"].read_text()
    bad = [line for line in log.splitlines() if EXCHANGE_ERRORS.search(line)]
    assert not bad, "nbgrader exchange errors in the server log:\n" + "\n".join(bad)
