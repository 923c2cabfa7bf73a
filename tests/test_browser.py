"""The lesson in a real browser: JupyterLab on loopback, driven in headless Chromium.

What a student does, checked the way the student sees it:

* the cost calculator's slider moves its "Training compute:" line;
* *Run All* on the self-learner edition as it ships (every exercise still a stub, one answered
  wrongly) runs every cell: only exercise cells show errors, each saying what is missing or
  wrong, and every demo runs;
* a student types every answer into its answer cell through the editor and runs the whole
  lesson in full mode: every test passes, no output holds a warning, a traceback or anything
  on stderr, and every figure is saved as ``test-artifacts/figure-NN.png`` to be looked at;
* ``./course lesson`` gives students nbgrader's student side only (no formgrader, no course
  list, no "Create Assignment" panel); ``--instructor`` keeps them.

Answers are typed with Playwright's ``keyboard.insert_text``: text arrives through the editor
the way a paste does (CodeMirror would re-indent text typed key by key), and the saved notebook
is checked to hold exactly what was typed. Screenshots, the server log and the browser console
go to ``test-artifacts/`` (also on failure).

Needs Debian's Chromium (tests/browser_setup.sh installs it when /usr/bin/chromium is missing)
and the ``playwright`` package from requirements-dev.txt, which drives that browser directly:
Playwright's own browser download is never used.
"""
from __future__ import annotations

import contextlib
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
SOURCE = ROOT / "source" / "lesson02" / "lesson02.ipynb"
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
# What a library warning or an error looks like in an output ("FutureWarning: ...").
WARNING = re.compile(r"\b\w*Warning\b|Traceback")
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
WRITTEN_ANSWER = ("The model's training data stops before 3.0 shipped, so it never saw the new API. "
                  "Tuning taught it to answer in an assured tone, and right/wrong grading makes a "
                  "guess pay more than 'I don't know'. Read the 3.0 docs, or paste them into the "
                  "prompt, and check the function exists.")

# Bounded waits, generous because the test machines are shared (milliseconds for Playwright).
SERVER_START_S = 120
PAGE_MS = 120_000
KERNEL_MS = 120_000
CELL_MS = 180_000
CHANGE_MS = 30_000
RUN_ALL_S = 1500


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


def c_src(cell: dict) -> str:
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def nbgrader_meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_exercise_cell(cell: dict) -> bool:
    """An answer or test cell: the cells tagged to let Run All carry on past their errors."""
    return cell["cell_type"] == "code" and bool(nbgrader_meta(cell))


def widget_cell_index(nb: dict) -> tuple[int, int]:
    """Indices (among all cells) of the first code cell and the first cost-calculator cell."""
    code = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    widget = [i for i in code if WIDGET_CALL in c_src(nb["cells"][i])]
    assert code, "the notebook has no code cell"
    assert widget, f"{NOTEBOOK} has no code cell that calls {WIDGET_CALL}"
    assert widget[0] != code[0], "the widget cell should come after the setup cell"
    return code[0], widget[0]


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


def lab_environment(tmp_path: Path, **extra: str) -> dict:
    """The server's (and so the kernel's) environment: private Jupyter folders, no news pop-up."""
    # No "get notified about Jupyter news?" question over the page (and no news fetch).
    notification = tmp_path / "lab-settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # Every cell laid out (no virtual scrolling), so that a figure's screenshot shows the figure.
    tracker = tmp_path / "lab-settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True, exist_ok=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env = dict(os.environ,
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "lab-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "lab-workspaces"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               IPYTHONDIR=str(tmp_path / "ipython"),
               OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.pop("COURSE_EXCHANGE", None)
    env.pop("TRAINLAB_FAST", None)
    env.update(extra)
    return env


@contextlib.contextmanager
def served(cmd: list[str], cwd: Path, env: dict, log: Path, base: str, token: str):
    """Run a JupyterLab command until the block ends; yield its process."""
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_server(proc, f"{base}/api/status?token={token}", log)
        yield proc
    finally:
        stop_server(proc, base, token)
    assert proc.poll() is not None


def lab_flags(port: int, token: str) -> list[str]:
    return ["--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", "--allow-root", "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]


@contextlib.contextmanager
def lab_on_copy(tmp_path: Path, name: str, **env_extra: str):
    """JupyterLab serving a copy of the course (so autosave never touches the project)."""
    course = tmp_path / "course"
    (course / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / NOTEBOOK, course / NOTEBOOK)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    # nbgrader_config.py puts the exchange in .exchange beside it; nbgrader's assignment list
    # answers "The exchange directory does not exist" until that folder is there.
    (course / ".exchange").mkdir()
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / f"jupyterlab-{name}.log"
    port, token = free_port(), secrets.token_hex(24)
    base = f"http://127.0.0.1:{port}"
    cmd = lab_command() + lab_flags(port, token) + [f"--ServerApp.root_dir={course}"]
    with served(cmd, course, lab_environment(tmp_path, **env_extra), log, base, token) as proc:
        yield {"base": base, "token": token, "log": log, "course": course, "proc": proc}


@contextlib.contextmanager
def browser_page(chromium: Path, tmp_path: Path, name: str):
    """A Chromium page; its console log and a last screenshot are kept under test-artifacts/."""
    from playwright.sync_api import sync_playwright

    console: list[str] = []
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / f"chromium-{name}"), executable_path=str(chromium), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900}, timeout=PAGE_MS)
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(PAGE_MS)
            page.on("console", lambda m: console.append(f"[{m.type}] {m.text}"))
            page.on("pageerror", lambda e: console.append(f"[pageerror] {e}"))
            try:
                yield page
            finally:
                try:
                    page.screenshot(path=str(ARTIFACTS / f"browser-{name}-last.png"), timeout=30_000)
                except Exception as exc:  # the page may be gone; the log says why
                    console.append(f"[test] no screenshot: {exc}")
                (ARTIFACTS / f"browser-{name}-console.log").write_text("\n".join(console) + "\n")
        finally:
            context.close()


def open_notebook(page, lab: dict, nb: dict):
    """Open the self-learner notebook; wait for every cell and an idle kernel; return the cells."""
    from playwright.sync_api import expect

    page.goto(f"{lab['base']}/lab/tree/{NOTEBOOK}?token={lab['token']}", timeout=PAGE_MS)
    panel = page.locator(".jp-NotebookPanel").first
    expect(panel).to_be_visible(timeout=PAGE_MS)
    cells = panel.locator(".jp-Notebook .jp-Cell")
    expect(cells).to_have_count(len(nb["cells"]), timeout=PAGE_MS)
    expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
           .first).to_be_attached(timeout=KERNEL_MS)
    return cells


def saved_notebook(page, lab: dict) -> dict:
    """Save with Ctrl+S and return the notebook as written to disk."""
    path = lab["course"] / NOTEBOOK
    before = path.stat().st_mtime_ns
    page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 60
    while path.stat().st_mtime_ns == before and time.monotonic() < deadline:
        time.sleep(0.25)
    assert path.stat().st_mtime_ns != before, "Ctrl+S did not save the notebook"
    time.sleep(0.5)
    return json.loads(path.read_text())


def type_answer(page, cell, text: str) -> None:
    """Replace an answer cell's text through its editor, as a student pasting an answer."""
    cell.scroll_into_view_if_needed(timeout=PAGE_MS)
    if "jp-MarkdownCell" in (cell.get_attribute("class") or ""):
        cell.dblclick()  # a rendered markdown cell opens its editor on a double click
    editor = cell.locator(".cm-content").first
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)
    page.keyboard.press("Escape")


def run_all(page) -> None:
    """Run > Run All Cells, then wait until the kernel has been idle for a few seconds.

    The prompts are no guide: once an exercise cell has raised, JupyterLab shows the cells
    still queued as "[ ]" although the kernel goes on to run them.
    """
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    status = page.locator(".jp-Notebook-ExecutionIndicator").first
    deadline = time.monotonic() + RUN_ALL_S
    idle_polls = 0
    time.sleep(2)
    while time.monotonic() < deadline:
        idle_polls = idle_polls + 1 if status.get_attribute("data-status") == "idle" else 0
        if idle_polls >= 4:
            return
        time.sleep(1.5)
    pytest.fail(f"Run All did not finish within {RUN_ALL_S} s")


def output_text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return c_src({"source": output.get("text", "")})
    if output.get("output_type") == "error":
        return f"{output.get('ename')}: {output.get('evalue')}"
    data = output.get("data", {})
    return "".join(c_src({"source": data.get(k, "")}) for k in ("text/plain", "text/html"))


def cell_label(nb: dict, index: int) -> str:
    cell = nb["cells"][index]
    return f"cell {index} ({nbgrader_meta(cell).get('grade_id') or cell.get('id')})"


def solutions() -> dict[str, str]:
    """The source notebook's answers by grade_id: what a student who solved it all types."""
    nb = json.loads(SOURCE.read_text())
    answers = {}
    for cell in nb["cells"]:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            lines = c_src(cell).split("\n")
            text = "\n".join(line for line in lines if line.strip() not in SOLUTION_MARKERS)
            answers[meta["grade_id"]] = WRITTEN_ANSWER if cell["cell_type"] == "markdown" else text
    return answers


# --------------------------------------------------------------------------- the tests

def test_cost_calculator_widget_follows_its_slider(chromium: Path, tmp_path: Path):
    from playwright.sync_api import expect

    with lab_on_copy(tmp_path, "widget") as lab, browser_page(chromium, tmp_path, "widget") as page:
        nb = json.loads((lab["course"] / NOTEBOOK).read_text())
        setup_idx, widget_idx = widget_cell_index(nb)
        cells = open_notebook(page, lab, nb)

        # The setup cell, then the calculator cell, and nothing else of the lesson.
        setup, widget = cells.nth(setup_idx), cells.nth(widget_idx)
        expect(widget).to_contain_text(WIDGET_CALL)
        for cell in (setup, widget):
            run_cell(page, cell)
            expect(cell.locator(".jp-InputPrompt")).to_have_text(
                re.compile(r"^\s*\[\d+\]:\s*$"), timeout=CELL_MS)
            text = cell.locator(".jp-Cell-outputWrapper").inner_text(timeout=PAGE_MS)
            assert "Traceback" not in text, text[-3000:]

        slider = widget.locator(".widget-hslider").filter(
            has=page.locator(".widget-label", has_text=re.compile(r"^\s*parameters\s*$")))
        expect(slider).to_have_count(1, timeout=CELL_MS)
        # The calculator's text, whatever widget shows it, is in the cell's output.
        out = widget.locator(".jp-Cell-outputArea")
        expect(out).to_contain_text("Training compute:", timeout=CELL_MS)
        before = COMPUTE.search(out.inner_text())
        assert before, out.inner_text()
        readout = slider.locator(".widget-readout")
        readout_before = readout.inner_text()

        handle = slider.locator(".noUi-handle")
        handle.scroll_into_view_if_needed()
        handle.focus()
        for _ in range(4):
            page.keyboard.press("ArrowRight")

        after, readout_after = wait_for_change(out, readout, before, readout_before)
        out.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "browser-widget.png"))

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
            resp = page.request.get(lab["base"] + path, headers=headers, timeout=PAGE_MS)
            assert resp.ok, (path, resp.status, resp.text()[:2000])
            body = resp.json()
            assert body.get("success") is True, (path, body)

    log = lab["log"].read_text()
    bad = [line for line in log.splitlines() if EXCHANGE_ERRORS.search(line)]
    assert not bad, "nbgrader exchange errors in the server log:\n" + "\n".join(bad)


def test_run_all_goes_through_unanswered_exercises(chromium: Path, tmp_path: Path):
    """The edition as it ships, one exercise answered wrongly: Run All reaches the last cell."""
    wrong = {"ex02_loss_answer": "def next_token_loss(logits, token_ids):\n    return logits.sum() * 0\n\n\n"
                                 "def perplexity(loss):\n    return 1.0"}
    # Fast mode (shipped checkpoints): the cells are the same, the waiting shorter.
    with lab_on_copy(tmp_path, "run-all", TRAINLAB_FAST="1") as lab, \
            browser_page(chromium, tmp_path, "run-all") as page:
        nb = json.loads((lab["course"] / NOTEBOOK).read_text())
        cells = open_notebook(page, lab, nb)
        for i, cell in enumerate(nb["cells"]):
            if nbgrader_meta(cell).get("grade_id") in wrong:
                type_answer(page, cells.nth(i), wrong[nbgrader_meta(cell)["grade_id"]])
        run_all(page)
        ran = saved_notebook(page, lab)
        # What a learner sees under an exercise not answered yet.
        unanswered = next(i for i, c in enumerate(nb["cells"])
                          if nbgrader_meta(c).get("grade_id") == "ex03_curate_visible")
        cells.nth(unanswered).scroll_into_view_if_needed()
        cells.nth(unanswered).screenshot(path=str(ARTIFACTS / "browser-run-all-unanswered.png"))

    skipped = [cell_label(ran, i) for i, c in enumerate(ran["cells"])
               if c["cell_type"] == "code" and c.get("execution_count") is None]
    assert not skipped, f"Run All stopped: these cells never ran: {skipped}"
    for i, cell in enumerate(ran["cells"]):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if not is_exercise_cell(cell):
            assert not errors, f"{cell_label(ran, i)} failed: {[output_text(o) for o in errors]}"
            continue
        meta = nbgrader_meta(cell)
        if meta.get("grade_id", "").startswith("ex02_") and meta.get("grade"):
            assert errors and errors[0]["ename"] == "AssertionError", cell_label(ran, i)
        elif meta.get("grade"):
            # Every test of an unanswered exercise says so, and says what to do.
            assert errors, f"{cell_label(ran, i)} passed an unanswered exercise"
            assert errors[0]["ename"] == "NotAnsweredError", output_text(errors[0])
            assert "YOUR CODE HERE" in errors[0]["evalue"], output_text(errors[0])


def test_a_student_runs_the_lesson_top_to_bottom(chromium: Path, tmp_path: Path):
    """Every answer typed in, Run All in full mode: no error, no warning; figures saved."""
    answers = solutions()
    for old in ARTIFACTS.glob("figure-*.png") if ARTIFACTS.exists() else []:
        old.unlink()
    with lab_on_copy(tmp_path, "student") as lab, browser_page(chromium, tmp_path, "student") as page:
        nb = json.loads((lab["course"] / NOTEBOOK).read_text())
        cells = open_notebook(page, lab, nb)
        answer_cells = [i for i, c in enumerate(nb["cells"]) if nbgrader_meta(c).get("solution")]
        assert len(answer_cells) == len(answers)
        for i in answer_cells:
            type_answer(page, cells.nth(i), answers[nbgrader_meta(nb["cells"][i])["grade_id"]])
        typed = saved_notebook(page, lab)
        for i in answer_cells:
            grade_id = nbgrader_meta(typed["cells"][i])["grade_id"]
            assert c_src(typed["cells"][i]).strip() == answers[grade_id].strip(), (
                f"the editor changed the answer typed into {grade_id}:\n{c_src(typed['cells'][i])}")

        started = time.monotonic()
        run_all(page)
        print(f"Run All took {time.monotonic() - started:.0f} s")
        ran = saved_notebook(page, lab)

        figures = page.locator(".jp-Notebook .jp-OutputArea-output img")
        n_figures = figures.count()
        for n in range(n_figures):
            figures.nth(n).scroll_into_view_if_needed()
            page.wait_for_timeout(200)
            figures.nth(n).screenshot(path=str(ARTIFACTS / f"figure-{n + 1:02d}.png"))

    problems = []
    for i, cell in enumerate(ran["cells"]):
        if cell["cell_type"] != "code":
            continue
        if cell.get("execution_count") is None:
            problems.append(f"{cell_label(ran, i)} never ran")
        for output in cell.get("outputs", []):
            text = output_text(output)
            if output.get("output_type") == "error":
                problems.append(f"{cell_label(ran, i)} raised {text[:300]}")
            elif output.get("name") == "stderr":
                problems.append(f"{cell_label(ran, i)} wrote to stderr: {text[:300]}")
            elif WARNING.search(text):
                problems.append(f"{cell_label(ran, i)} shows {WARNING.search(text)[0]}: {text[:300]}")
    assert not problems, "\n".join(problems)
    images = sum("image/png" in o.get("data", {}) for c in ran["cells"] for o in c.get("outputs", []))
    assert n_figures == images > 0, (n_figures, images)


def test_students_do_not_get_the_instructor_tools(chromium: Path, tmp_path: Path):
    """`./course lesson` hides formgrader, course list and Create Assignment; --instructor keeps them."""
    venv = Path(sys.prefix)
    # ./course lesson installs first when the environment is not the lock's: never from a test.
    dry = subprocess.run(["bash", str(ROOT / "course"), "install"], cwd=ROOT, capture_output=True, text=True,
                         env=dict(os.environ, COURSE_VENV=str(venv), COURSE_DRY_RUN="1"), timeout=120)
    if dry.returncode != 0 or "would run" in dry.stdout:
        pytest.skip("the tests do not run in an up-to-date ./course environment; run ./course install")
    course = tmp_path / "course"
    course.mkdir()
    for name in ["course", "requirements.txt", "requirements-dev.txt", "pyproject.toml",
                 "nbgrader_config.py"]:
        shutil.copy(ROOT / name, course / name)
    for folder in ["notebooks", "source"]:
        shutil.copytree(ROOT / folder, course / folder)
    ARTIFACTS.mkdir(exist_ok=True)
    seen = {}
    for mode, args in [("student", []), ("instructor", ["--instructor"])]:
        port, token = free_port(), secrets.token_hex(24)
        base = f"http://127.0.0.1:{port}"
        env = lab_environment(tmp_path / mode, COURSE_VENV=str(venv))
        cmd = ["bash", str(course / "course"), "lesson", *args] + lab_flags(port, token)
        with served(cmd, course, env, ARTIFACTS / f"jupyterlab-course-{mode}.log", base, token), \
                browser_page(chromium, tmp_path, f"course-{mode}") as page:
            page.goto(f"{base}/lab?token={token}", timeout=PAGE_MS)
            page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click(timeout=PAGE_MS)
            menu = page.locator(".lm-Menu-item:visible .lm-Menu-itemLabel")
            menu.first.wait_for(timeout=PAGE_MS)
            tabs = page.locator(".jp-SideBar .lm-TabBar-tab").evaluate_all(
                "tabs => tabs.map(t => t.getAttribute('title') || t.textContent)")
            formgrader = page.request.get(f"{base}/formgrader", timeout=PAGE_MS,
                                          headers={"Authorization": f"token {token}"})
            seen[mode] = {"menu": [t for t in menu.all_inner_texts() if t.strip()],
                          "tabs": tabs, "formgrader": formgrader.status}
            page.screenshot(path=str(ARTIFACTS / f"browser-course-{mode}.png"))
    student, instructor = seen["student"], seen["instructor"]
    assert student["menu"] == ["Assignment List"], student
    assert not any("Create Assignment" in t for t in student["tabs"]), student
    assert student["formgrader"] == 404, student
    assert {"Formgrader", "Create assignment"} <= set(instructor["menu"]), instructor
    assert any("Create Assignment" in t for t in instructor["tabs"]), instructor
    assert instructor["formgrader"] == 200, instructor


# --------------------------------------------------------------------------- widget helpers

SI = {"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18, "Z": 1e21, "Y": 1e24}


def num(text: str) -> float:
    """A number as a widget shows it: "1,234.5", "1.23e+8" or an SI readout like "136M"."""
    text = text.strip().replace(",", "")
    if text and text[-1] in SI:
        return float(text[:-1]) * SI[text[-1]]
    return float(text)


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
        shown, text = readout.inner_text(), out.inner_text()
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
