"""A whole class round on a real JupyterHub, on loopback, driven in headless Chromium.

The test is the hub's administrator (see hub_setup.py: the course's environment for every
user, nbgrader's shared exchange, three local users with real passwords, JupyterHub with
configurable-http-proxy), then one instructor and two students, each in their own browser:

1. the instructor logs in and, in a terminal on the hub, runs
   ``nbgrader release_assignment lesson02`` in the course cloned into their home (mode 700);
2. each student logs in on the hub's login page (the first one mistypes the password once:
   PAM refuses it), fetches lesson02 in the Assignments tab, opens it, types an answer to
   exercise 1 (one right, one wrong) and a free-text answer, saves and submits;
3. the instructor collects in the formgrader, runs ``./course grade`` in the terminal (as
   their own user, not root), grades both free-text answers in the formgrader, and generates
   and releases feedback there;
4. each student fetches the feedback in the Assignments tab and opens it: the score is the
   one expected (exercise 1's points for the right answer, plus the hand-given points), and
   no hidden test shows, neither on the page nor in the file.

Artifacts in test-artifacts/: a screenshot of every step (hub-NN-*.png, hub-failed-*.png on
failure), the hub's log with the single-user servers' (hub-jupyterhub.log), each browser's
console (hub-console-*.log), the instructor's commands' output (hub-release.log,
hub-grade.log) and how long each step took (hub-timings.log). Everything the test starts is
stopped, also on failure: Chromium, the hub, the proxy, the single-user servers and kernels;
the users and the hub's folder are removed.

Needs Linux and root (users, PAM, a hub that runs servers as other users), Node.js 20+ with
npm, Debian's Chromium (tests/browser_setup.sh installs it) and bubblewrap for the grading
(installed with apt when missing).
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from conftest import ROOT
from hub_setup import Account, Hub, Timings, class_hub, install_proxy, run

pytestmark = [
    pytest.mark.hub,
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux") or os.geteuid() != 0,
                       reason="a JupyterHub with local users needs Linux and root"),
]

ASSIGNMENT = "lesson02"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
GRADE_COMMAND = "./course grade"

# Exercise 1 as the students answer it: the source's solution, and a wrong order.
EXERCISE = "ex01_pipeline_answer"
WRONG_ANSWER = 'pipeline = ["preference tuning", "instruction tuning", "training data", "pretraining"]'
FREE_TEXT = {
    "right": "The training data was collected before 3.0 shipped, and training rewards confident "
             "text without checking facts: check the current documentation before using it.",
    "wrong": "The model is just broken.",
}

# Bounded waits, generous because the machines are shared (ms for Playwright, s otherwise).
PAGE_MS = 120_000
SPAWN_MS = 180_000
RELEASE_S = 180
GRADE_S = 900


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed by tests/browser_setup.sh when it is missing."""
    if not CHROMIUM.exists():
        run(["bash", ROOT / "tests" / "browser_setup.sh"], timeout=900)
    assert os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is not executable"
    return CHROMIUM


@pytest.fixture(scope="session")
def bubblewrap() -> None:
    """bubblewrap, which ``./course grade`` confines student code with (Debian's package)."""
    if shutil.which("bwrap"):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-q"], env=env, timeout=600)
    run(["apt-get", "install", "-y", "-q", "bubblewrap"], env=env, timeout=600)


@pytest.fixture
def timings() -> Timings:
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("hub-*"):
        old.unlink()
    return Timings(ARTIFACTS / "hub-timings.log")


@pytest.fixture
def hub(chromium: Path, bubblewrap: None, timings: Timings):
    proxy = install_proxy(ROOT / ".cache" / "hub-proxy")
    timings("Chromium, bubblewrap and configurable-http-proxy ready")
    with class_hub(ROOT, proxy, ARTIFACTS, timings) as hub:
        yield hub


# --------------------------------------------------------------------------- the notebook

def cell_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def solution(nb: dict, grade_id: str) -> str:
    """The code between the BEGIN/END SOLUTION markers of an instructor's cell."""
    cell = next(c for c in nb["cells"] if cell_id(c) == grade_id)
    m = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source(cell), re.S)
    assert m, f"no solution markers in {grade_id}"
    return m.group(1).strip()


def free_text_id(nb: dict) -> str:
    """The answer graded by hand: a markdown cell that is both an answer and graded."""
    ids = [cell_id(c) for c in nb["cells"] if c["cell_type"] == "markdown"
           and c["metadata"].get("nbgrader", {}).get("solution")
           and c["metadata"].get("nbgrader", {}).get("grade")]
    assert len(ids) == 1, f"expected one free-text answer, found {ids}"
    return ids[0]


def graded(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]


def points(cells: list[dict]) -> float:
    return sum(float(c["metadata"]["nbgrader"].get("points", 0)) for c in cells)


def exercise_tests(nb: dict) -> list[dict]:
    """EXERCISE's test cells (grade ids with the same stem)."""
    stem = EXERCISE.removesuffix("_answer") + "_"
    cells = [c for c in graded(nb) if (cell_id(c) or "").startswith(stem)]
    assert cells, f"no test cells for {EXERCISE}"
    return cells


def hidden_test_lines(nb: dict) -> list[str]:
    """The lines of every hidden test of the instructor's notebook (the ones worth hiding)."""
    lines = []
    for cell in nb["cells"]:
        for block in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS",
                                source(cell), re.S):
            lines += [ln.strip() for ln in block.splitlines()
                      if len(ln.strip()) > 12 and not ln.strip().startswith("#")]
    return lines


def html_text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", path.read_text()))


# --------------------------------------------------------------------------- one user's browser

class Lab:
    """One user's browser session on the hub (cookies of its own), screenshots, console."""

    def __init__(self, browser, hub: Hub, account: Account):
        self.hub, self.account = hub, account
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(PAGE_MS)
        self.console: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"[{m.type}] {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"[pageerror] {e}"))
        self.base = f"{hub.url}/user/{account.name}"
        self.closed = False

    def shot(self, step: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"hub-{step}.png"))

    def close(self, failed: bool = False) -> None:
        """Close the context (a screenshot first on failure); keep the console's messages."""
        if self.closed:
            return
        self.closed = True
        who = self.account.nickname
        if failed:
            try:
                self.page.screenshot(path=str(ARTIFACTS / f"hub-failed-{who}.png"), timeout=30_000)
            except Exception as exc:  # the page may be gone; the console log says why
                self.console.append(f"[test] no screenshot: {exc}")
        with open(ARTIFACTS / f"hub-console-{who}.log", "a") as f:
            f.write("\n".join(self.console) + "\n")
        self.context.close()

    def login(self, *, wrong_password_first: str | None = None) -> None:
        """Log in on the hub's page; wait for JupyterLab (the hub starts the server first).

        With ``wrong_password_first`` (a screenshot name), a mistyped password is tried first
        and must be refused: the hub really asks PAM.
        """
        from playwright.sync_api import expect

        page = self.page
        page.goto(f"{self.hub.url}/hub/login")
        if wrong_password_first:
            page.fill("#username_input", self.account.name)
            page.fill("#password_input", self.account.password + "x")
            page.click("#login_submit")
            expect(page.locator(".login_error")).to_contain_text(
                "Invalid username or password", timeout=PAGE_MS)
            self.shot(wrong_password_first)
        page.fill("#username_input", self.account.name)
        page.fill("#password_input", self.account.password)
        page.click("#login_submit")
        page.wait_for_url(re.compile(rf"/user/{re.escape(self.account.name)}/lab"),
                          timeout=SPAWN_MS)
        expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=PAGE_MS)

    def menu(self, top: str, command: str) -> None:
        self.page.locator("#jp-menu-panel .lm-MenuBar-itemLabel",
                          has_text=re.compile(rf"^{top}$")).click()
        self.page.locator(f'.lm-Menu li[data-command="{command}"]').click()

    def tab(self, label: str) -> None:
        self.page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text=label).first.click()

    # ---- a student's Assignments tab
    def assignments(self) -> None:
        from playwright.sync_api import expect

        self.menu("Nbgrader", "nbgrader:open-assignment-list")
        expect(self.page.locator("#released_assignments_list")).to_be_visible(timeout=PAGE_MS)

    def rows(self, which: str):
        """The "released", "fetched" or "submitted" list's rows."""
        return self.page.locator(f"#{which}_assignments_list > .list_item")

    # ---- the instructor's terminal and formgrader
    def terminal(self):
        """A new terminal, once its shell shows the prompt."""
        from playwright.sync_api import expect

        page = self.page
        page.locator("#jp-menu-panel .lm-MenuBar-itemLabel",
                     has_text=re.compile("^File$")).click()
        page.locator(".lm-Menu-item[data-type='submenu']", has_text="New").first.hover()
        page.locator('.lm-Menu li[data-command="terminal:create-new"]').click()
        term = page.locator(".jp-Terminal").last
        prompt = re.compile(rf"{re.escape(self.account.name)}@\S*:\S*\$")
        expect(term.locator(".xterm-accessibility-tree")).to_contain_text(prompt,
                                                                          timeout=PAGE_MS)
        return term

    def run_in_terminal(self, term, command: str, name: str, timeout_s: int) -> tuple[int, str]:
        """Type ``command`` into the terminal, in the course; wait until it ends.

        Its output goes to ~/NAME.log and its exit status to ~/NAME.rc, which the test reads;
        the terminal then shows the output (for the screenshot).
        """
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        from playwright.sync_api import expect

        rc_file, log_file = self.account.home / f"{name}.rc", self.account.home / f"{name}.log"
        rc_file.unlink(missing_ok=True)
        term.click()
        self.page.keyboard.type(f"cd ~/course && {command} > ~/{name}.log 2>&1; "
                                f"echo $? > ~/{name}.rc; cat ~/{name}.log")
        self.page.keyboard.press("Enter")
        deadline = time.monotonic() + timeout_s
        while not (rc_file.exists() and rc_file.read_text().strip()):
            if time.monotonic() > deadline:
                out = log_file.read_text()[-3000:] if log_file.exists() else "(no output)"
                pytest.fail(f"'{command}' did not finish within {timeout_s} s:\n{out}")
            time.sleep(0.5)
        output = log_file.read_text()
        (ARTIFACTS / f"hub-{name}.log").write_text(output)
        lines = [re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", ln).strip() for ln in output.splitlines()]
        lines = [ln for ln in lines if ln]
        if lines:  # the screenshot should show the end of it (cosmetic: no failure)
            try:
                expect(term.locator(".xterm-accessibility-tree")).to_contain_text(
                    lines[-1][:40], timeout=15_000)
            except (AssertionError, PlaywrightTimeout):
                pass
        return int(rc_file.read_text().strip()), output

    def formgrader(self):
        """Open the formgrader; return its frame and lesson02's row in Manage Assignments."""
        from playwright.sync_api import expect

        self.menu("Nbgrader", "nbgrader:open-formgrader")
        frame = self.page.frame_locator("#formgrader-iframe iframe")
        row = frame.locator("table tbody tr", has_text=ASSIGNMENT)
        expect(row).to_have_count(1, timeout=PAGE_MS)
        return frame, row

    def formgrader_goto(self, path: str) -> None:
        frame = self.page.frame(url=re.compile(r"/formgrader"))
        assert frame is not None, "the formgrader's frame is not open"
        frame.goto(f"{self.base}/formgrader/{path}")

    def confirm(self, frame, shot: str | None = None) -> str:
        """Close the formgrader's result dialog (after a screenshot); fail on an error."""
        from playwright.sync_api import expect

        modal = frame.locator("#success-modal, #error-modal")
        expect(modal).to_have_class(re.compile(r"\bin\b"), timeout=PAGE_MS)
        # Faded and slid in (Bootstrap's transitions), for a clear screenshot.
        expect(modal).to_have_css("opacity", "1", timeout=PAGE_MS)
        expect(modal.locator(".modal-dialog")).to_have_css(
            "transform", re.compile(r"^(none|matrix\(1, 0, 0, 1, 0, 0\))$"), timeout=PAGE_MS)
        body = modal.inner_text()
        if shot:
            self.shot(shot)
        assert modal.get_attribute("id") == "success-modal", body
        modal.locator(".modal-footer button").first.click()
        expect(modal).to_be_hidden(timeout=PAGE_MS)
        expect(frame.locator(".modal-backdrop")).to_have_count(0, timeout=PAGE_MS)
        return body


# --------------------------------------------------------------------------- the steps

def student_submits(lab: Lab, kind: str, release: dict, answer: str, shots: list[str]) -> None:
    """Log in, fetch, answer, save, submit: as a student does, in the browser."""
    from playwright.sync_api import expect

    page = lab.page
    lab.login(wrong_password_first=shots.pop(0) if kind == "right" else None)
    lab.assignments()
    released = lab.rows("released")
    expect(released).to_have_count(1, timeout=PAGE_MS)
    expect(released.first.locator(".item_name")).to_have_text(ASSIGNMENT, timeout=PAGE_MS)
    released.first.locator(".item_status button", has_text="Fetch").click()
    fetched = lab.rows("fetched")
    expect(fetched).to_have_count(1, timeout=PAGE_MS)
    lab.shot(shots.pop(0))

    # Open the notebook from the list; type both answers.
    fetched.first.locator("a.assignment-notebooks-link").click()
    fetched.first.locator(".assignment-notebooks .item_name a", has_text=ASSIGNMENT).click()
    cells = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")
    expect(cells).to_have_count(len(release["cells"]), timeout=PAGE_MS)
    ids = [cell_id(c) for c in release["cells"]]
    text_id = free_text_id(release)

    text_cell = cells.nth(ids.index(text_id))
    text_cell.scroll_into_view_if_needed()
    text_cell.dblclick()  # a rendered markdown cell opens its editor
    editor = text_cell.locator(".cm-content")
    expect(editor).to_be_visible(timeout=PAGE_MS)
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(FREE_TEXT[kind])
    page.keyboard.press("Escape")

    code_cell = cells.nth(ids.index(EXERCISE))
    code_cell.scroll_into_view_if_needed()
    editor = code_cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(answer)  # as pasted: no brackets closed by the editor
    page.keyboard.press("Escape")
    expect(editor).to_contain_text(answer.splitlines()[0], timeout=PAGE_MS)
    page.keyboard.press("Control+s")
    tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text=NOTEBOOK)
    expect(tab).not_to_have_class(re.compile(r"\bjp-mod-dirty\b"), timeout=PAGE_MS)
    lab.shot(shots.pop(0))
    saved = json.loads((lab.account.home / ASSIGNMENT / NOTEBOOK).read_text())
    assert answer in source(saved["cells"][ids.index(EXERCISE)])
    assert FREE_TEXT[kind] in source(saved["cells"][ids.index(text_id)])

    lab.tab("Assignments")
    fetched.first.locator(".item_status button", has_text="Submit").click()
    expect(lab.rows("submitted")).to_have_count(1, timeout=PAGE_MS)
    lab.shot(shots.pop(0))


def grade_by_hand(teacher: Lab, frame, student: Account, text: str, text_id: str,
                  score: float, shot: str) -> None:
    """In the formgrader: open the student's submission, give the free-text answer ``score``."""
    from playwright.sync_api import expect

    teacher.formgrader_goto(f"gradebook/{ASSIGNMENT}/{ASSIGNMENT}")
    row = frame.locator("table tbody tr", has_text=student.name)
    expect(row).to_have_count(1, timeout=PAGE_MS)
    row.locator("a").first.click()
    expect(frame.locator("body")).to_contain_text(text, timeout=PAGE_MS)  # their answer
    box = frame.locator(f"input.score#{text_id}")
    box.scroll_into_view_if_needed()
    box.fill(f"{score:g}")
    box.press("Tab")
    # Saved once the server's answer clears the box's "needs manual grade" mark.
    expect(box).not_to_have_class(re.compile(r"\bneeds_manual_grade\b"), timeout=PAGE_MS)
    teacher.shot(shot)


def student_reads_feedback(lab: Lab, heading: re.Pattern, hidden: list[str], shot: str) -> None:
    """Fetch the feedback in the Assignments tab, open it; check the score, no hidden test."""
    from playwright.sync_api import expect

    lab.login()
    lab.assignments()
    submitted = lab.rows("submitted")
    expect(submitted).to_have_count(1, timeout=PAGE_MS)
    submitted.first.locator(".item_status button", has_text="Fetch Feedback").click()
    view = submitted.first.locator("a", has_text="view feedback")
    expect(view).to_be_visible(timeout=PAGE_MS)
    view.click()  # the file browser goes to the feedback's folder
    item = lab.page.locator(".jp-DirListing-item", has_text=f"{ASSIGNMENT}.html")
    expect(item).to_be_visible(timeout=PAGE_MS)
    item.dblclick()
    body = lab.page.frame_locator(".jp-HTMLViewer iframe").first.locator("body")
    expect(body).to_contain_text(heading, timeout=PAGE_MS)
    lab.shot(shot)
    files = list((lab.account.home / ASSIGNMENT / "feedback").rglob(f"{ASSIGNMENT}.html"))
    assert len(files) == 1, files
    for seen in (body.inner_text(), html_text(files[0])):
        assert "HIDDEN TESTS" not in seen
        leaked = [line for line in hidden if line in seen]
        assert not leaked, f"hidden tests in {lab.account.name}'s feedback: {leaked[:3]}"


# --------------------------------------------------------------------------- the round

def test_class_round_on_jupyterhub(chromium: Path, hub: Hub, timings: Timings):
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: install requirements-dev.txt "
                    "(./course test does)")

    release = json.loads((ROOT / "release" / ASSIGNMENT / NOTEBOOK).read_text())
    instructor_nb = json.loads((ROOT / "source" / ASSIGNMENT / NOTEBOOK).read_text())
    text_id = free_text_id(release)
    text_points = points([c for c in graded(release) if cell_id(c) == text_id])
    answers = {"right": solution(instructor_nb, EXERCISE), "wrong": WRONG_ANSWER}
    by_hand = {"right": text_points, "wrong": min(1.0, text_points)}
    # Every other exercise still raises NotImplementedError: only exercise 1 can score.
    expected = {"right": points(exercise_tests(release)) + by_hand["right"],
                "wrong": by_hand["wrong"]}
    total = points(graded(release))
    hidden = hidden_test_lines(instructor_nb)
    assert hidden, "the instructor's notebook has no hidden tests to look for"
    students = {s.role: s for s in hub.students}
    ins, course = hub.instructor, hub.course
    for s in hub.students:  # the course, solutions and hidden tests included, is not theirs
        peek = subprocess.run(["runuser", "-u", s.name, "--", "cat",
                               course / "source" / ASSIGNMENT / NOTEBOOK], capture_output=True)
        assert peek.returncode != 0, f"{s.name} can read the instructor's course"

    with sync_playwright() as pw, ExitStack() as stack:
        browser = pw.chromium.launch(executable_path=str(chromium), headless=True,
                                     args=CHROMIUM_ARGS, timeout=PAGE_MS)
        stack.callback(browser.close)
        failed = [True]

        def open_lab(account: Account) -> Lab:
            lab = Lab(browser, hub, account)
            stack.callback(lambda: lab.close(failed[0]))
            return lab

        # 1. The instructor releases lesson02, in a terminal on the hub.
        teacher = open_lab(ins)
        teacher.login()
        term = teacher.terminal()
        rc, out = teacher.run_in_terminal(term, f"nbgrader release_assignment {ASSIGNMENT}",
                                          "release", RELEASE_S)
        teacher.shot("01-instructor-released")
        assert rc == 0, out[-3000:]
        assert (hub.exchange / hub.course_id / "outbound" / ASSIGNMENT / NOTEBOOK).exists(), out
        timings("the instructor logged in and released lesson02")

        # 2. Each student logs in, fetches, answers, saves and submits.
        shots = {"right": ["02-ada-wrong-password", "03-ada-fetched", "04-ada-answered",
                           "05-ada-submitted"],
                 "wrong": ["06-bo-fetched", "07-bo-answered", "08-bo-submitted"]}
        for kind in ("right", "wrong"):
            lab = open_lab(students[kind])
            student_submits(lab, kind, release, answers[kind], shots[kind])
            lab.close()
            timings(f"{students[kind].nickname} submitted ({kind} answer)")
        inbound = hub.exchange / hub.course_id / "inbound"
        assert sorted(p.name.split("+")[0] for p in inbound.iterdir()) == sorted(
            s.name for s in hub.students)

        # 3. The instructor collects in the formgrader ...
        frame, row = teacher.formgrader()
        row.locator("td.collect a").click()
        teacher.confirm(frame, "09-instructor-collected")
        for s in hub.students:
            assert (course / "submitted" / s.name / ASSIGNMENT / NOTEBOOK).exists()
        timings("collected")

        # ... grades, in the terminal, as their own user ...
        teacher.tab(ins.name)
        rc, out = teacher.run_in_terminal(term, GRADE_COMMAND, "grade", GRADE_S)
        teacher.shot("10-instructor-graded")
        timings("graded (./course grade as the instructor)")
        if rc and "installing into" in out:
            pytest.fail("./course found the hub's environment (a copy of this one) out of date: "
                        "run ./course install, then the test again:\n" + out[-2000:])
        assert rc == 0, out[-3000:]
        for s in hub.students:
            result = course / "autograded" / s.name / ASSIGNMENT / NOTEBOOK
            assert result.exists(), out[-3000:]
            assert result.stat().st_uid == ins.uid  # written by the instructor, not by root

        # ... grades the free-text answers by hand ...
        teacher.tab("Formgrader")
        for step, kind in ((11, "right"), (12, "wrong")):
            grade_by_hand(teacher, frame, students[kind], FREE_TEXT[kind], text_id,
                          by_hand[kind], f"{step}-formgrader-{students[kind].nickname}")

        # ... and generates and releases the feedback.
        teacher.formgrader_goto("manage_assignments")
        expect(row).to_have_count(1, timeout=PAGE_MS)
        row.locator("td.generate-feedback a").click()
        teacher.confirm(frame)
        row.locator("td.release-feedback a").click()
        teacher.confirm(frame, "13-instructor-feedback-released")
        timings("graded by hand; feedback generated and released")

        # 4. Each student fetches the feedback and reads the score; no hidden test shows.
        for step, kind in ((14, "right"), (15, "wrong")):
            heading = re.compile(
                rf"{ASSIGNMENT} \(Score: {expected[kind]:.1f} / {total:.1f}\)")
            lab = open_lab(students[kind])
            student_reads_feedback(lab, heading, hidden,
                                   f"{step}-{students[kind].nickname}-feedback")
            lab.close()
            timings(f"{students[kind].nickname} read the feedback")
        failed[0] = False
