"""nbgrader's Execute step, hardened for untrusted submissions.

``GuardedExecute`` replaces ``nbgrader.preprocessors.Execute`` in the private course a
worker grades. On top of nbgrader's behaviour (a cell that loops forever is
interrupted; an error the notebook hid from its traceback display still counts) it:

- caps each cell's output (``max_output_bytes``): a cell that prints gigabytes neither
  exhausts the grader's memory nor bloats the feedback; a note says how much was dropped;
- keeps grading after the kernel dies: the cell that killed it and every later cell get an
  error output saying so, the cells before keep their marks (nbclient would abort the
  whole notebook and lose them);
- before every graded cell, restores the attributes of the modules the tests use
  (``watch_modules``, e.g. a test helper or ``numpy.allclose``) and of IPython's
  error-reporting machinery to what they were when the kernel started, and records what it
  had to restore, so that patching the test helpers cannot make a failing test pass (the
  code that runs in the kernel for this is ``kernel_guard``);
- hands the kernel's process to the worker's ``Watch`` (``watch.ACTIVE``) as soon as it
  starts, so that its memory, processes and time are counted from outside.

The guard runs inside the student's kernel, so a student who studies this code can still
work around it; what they cannot do is reach the gradebook (see ``sandbox``).
"""
import ast
import json
import secrets

from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Integer, List, Unicode

from . import watch
from .cells import grade_id, nbgrader_meta

GUARD_SETUP = ("from trainlab.grading.kernel_guard import make_guard as _make_guard\n"
               "{name} = _make_guard(get_ipython(), {modules!r}, {trusted!r})\n"
               "del _make_guard\n")

TRUNCATION_NOTE = "\n[grader: {0} bytes of output from this cell were dropped]\n"


def output_size(msg):
    """Approximate the bytes an output message adds to the notebook."""
    content = msg.get("content", {})
    return len(json.dumps(content.get("data", content.get("text", "")), default=str))


def error_output(ename, evalue):
    """Return an nbformat error output (counts as a failed test for nbgrader)."""
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=["%s: %s" % (ename, evalue)])


class GuardedExecute(Execute):
    """Execute that survives floods of output, dead kernels and patched test helpers."""

    max_output_bytes = Integer(200_000, help="Output kept per cell.").tag(config=True)
    watch_modules = List(Unicode(), help="Modules whose attributes are restored "
                         "before every graded cell.").tag(config=True)
    trusted_paths = List(Unicode(), help="Folders of read-only installed code: a patch "
                         "whose code lives there is a library's own.").tag(config=True)
    guard_timeout = Integer(30, help="Seconds the guard itself may take.").tag(config=True)
    events_path = Unicode("", help="JSON-lines file where what the guard saw is "
                          "recorded for the report.").tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._output_bytes = {}
        self._dropped_bytes = {}
        self._dead_since = None
        self._guard_name = None

    def output(self, outs, msg, display_id, cell_index):
        size = output_size(msg)
        kept = self._output_bytes.get(cell_index, 0)
        if kept + size > self.max_output_bytes:
            self._dropped_bytes[cell_index] = self._dropped_bytes.get(cell_index, 0) + size
            return None
        self._output_bytes[cell_index] = kept + size
        return super().output(outs, msg, display_id, cell_index)

    def on_cell_executed(self, **kwargs):
        super().on_cell_executed(**kwargs)
        cell, index = kwargs["cell"], kwargs["cell_index"]
        dropped = self._dropped_bytes.pop(index, 0)
        if dropped:
            self._record(cell, index, dropped_bytes=dropped)
            cell.outputs.append(NotebookNode(output_type="stream", name="stderr",
                                             text=TRUNCATION_NOTE.format(dropped)))

    async def async_execute_cell(self, cell, cell_index, execution_count=None,
                                 store_history=True):
        if cell.cell_type != "code" or not cell.source.strip():
            return await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history)
        if self._dead_since is not None:
            cell.outputs = [error_output(
                "KernelDied", "not run: the kernel died in cell %d" % self._dead_since)]
            return cell
        restored = []
        try:
            if self._guard_name is None:
                await self._install_guard()
                watch.mark("guard set-up (imports)")
            if nbgrader_meta(cell).get("grade"):
                restored = await self._run_guard()
                watch.mark("guard checks", add=True)
            cell = await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history)
            watch.mark("notebook cells", add=True)
        except DeadKernelError:
            self._dead_since = cell_index
            self._record(cell, cell_index, kernel_died=True)
            cell.outputs = list(cell.get("outputs", [])) + [error_output(
                "KernelDied", "the kernel died while running this cell (crash, or the "
                "memory limit was hit)")]
        if restored:
            self._record(cell, cell_index, restored=restored)
        return cell

    def _record(self, cell, index, **event):
        """Append one event about ``cell`` (at ``index``) to ``events_path``."""
        if not self.events_path:
            return
        event["cell"] = grade_id(cell) or "#%d" % index
        with open(self.events_path, "a") as f:
            f.write(json.dumps(event) + "\n")

    # nbclient binds its synchronous wrapper to its own coroutine: rebind it to ours.
    execute_cell = run_sync(async_execute_cell)

    async def async_start_new_kernel(self, **kwargs):
        watch.mark("nbgrader before the kernel")
        await super().async_start_new_kernel(**kwargs)
        pid = getattr(getattr(self.km, "provisioner", None), "pid", None)
        if pid and watch.ACTIVE is not None:
            watch.ACTIVE.kernel_started(pid)

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        watch.mark("kernel start in its sandbox")
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    start_new_kernel = run_sync(async_start_new_kernel)

    async def _install_guard(self):
        """Snapshot, before any student code runs, what the tests rely on."""
        self._guard_name = "_grader_guard_" + secrets.token_hex(8)
        await self._run_silent(GUARD_SETUP.format(name=self._guard_name,
                                                  modules=list(self.watch_modules),
                                                  trusted=tuple(self.trusted_paths)))

    async def _run_guard(self):
        """Restore what the notebook patched; return the names restored."""
        reply = await self._run_silent("", {"restored": self._guard_name + "()"})
        value = (reply or {}).get("user_expressions", {}).get("restored", {})
        if value.get("status") != "ok":
            return ["the grader's guard could not run (%s)" % value.get("ename", "no reply")]
        try:
            return list(ast.literal_eval(value.get("data", {}).get("text/plain", "[]")))
        except (ValueError, SyntaxError):
            return ["(unreadable guard reply)"]

    async def _run_silent(self, code, expressions=None):
        """Run code in the kernel without touching the notebook's outputs or history."""
        msg_id = self.kc.execute(code, silent=True, store_history=False,
                                 user_expressions=expressions or {})
        saved_timeout, self.timeout = self.timeout, self.guard_timeout
        try:
            reply = await self.async_wait_for_reply(msg_id)
        finally:
            self.timeout = saved_timeout
        return reply["content"] if reply else None
