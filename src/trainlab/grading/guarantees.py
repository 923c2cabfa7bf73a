"""What grading guarantees about student code, and where each guarantee is enforced.

Every submission's notebook runs in a kernel of its own, in a sandbox of its own; nbgrader,
the gradebook and the round's bookkeeping run outside it, as trusted code. ``GUARANTEES``
lists each promise with the code that keeps it (``where``: importable names, checked by
the tests) and the tests that try to break it (``tested_by``).

With ``--unconfined`` (only on request, for machines that forbid the sandbox) the
guarantees marked ``sandbox=True`` do not hold: student code then runs with the grader's
own rights, and the round says so first and last.
"""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Guarantee:
    """One promise about what a submission's code can and cannot do."""

    name: str
    promise: str
    where: tuple[str, ...]
    tested_by: tuple[str, ...]
    sandbox: bool = True


GUARANTEES = (
    Guarantee(
        "no network",
        "The kernel has its own network namespace with nothing in it but an empty loopback: "
        "no address outside the sandbox, not even the machine's own 127.0.0.1 (a gradebook "
        "server there is out of reach). Its channels to nbgrader are Unix-domain sockets in "
        "a folder bound into the sandbox (jupyter_client's ipc transport).",
        ("trainlab.grading.sandbox.bwrap_args", "trainlab.grading.worker.nbgrader_config"),
        ("tests/grading/test_round.py::test_nothing_escaped_the_sandbox",
         "tests/grading/test_postgres_gradebook.py::test_round_on_postgresql",
         "tests/grading/test_sandbox.py::test_the_sandbox_world")),
    Guarantee(
        "nothing outside the private copy",
        "The kernel's file system is an allow-list: the system's /usr, the interpreter, the "
        "virtual environment and the installed packages, read-only; its private working copy "
        "(/home/student), private /tmp and /dev/shm, read-write. The course, its gradebook, "
        "the solutions, other submissions and the grader's home folder do not exist in it. It "
        "runs as uid 1000 in its own user namespace with no capabilities, cannot create "
        "further user namespaces, and gets no file descriptor of the grader's.",
        ("trainlab.grading.sandbox.bwrap_args", "trainlab.grading.sandbox.readable_paths",
         "trainlab.grading.kernel_fork.drop_capabilities",
         "trainlab.grading.kernel_fork.become_kernel"),
        ("tests/grading/test_round.py::test_nothing_escaped_the_sandbox",
         "tests/grading/test_sandbox.py::test_the_sandbox_world")),
    Guarantee(
        "one submission cannot see another",
        "Every kernel is a new process in a new sandbox, started for one submission and "
        "killed after it; the zygote that kernels are forked from never runs student code, "
        "is not visible from a sandbox (another PID namespace) and cannot be changed by a "
        "kernel (copy-on-write). Private copies are made per submission and removed after.",
        ("trainlab.grading.kernel_fork.spawn", "trainlab.grading.worker.grade",
         "trainlab.grading.workspace.prepare_private_course"),
        ("tests/grading/test_round.py::test_nothing_escaped_the_sandbox",
         "tests/grading/test_kernel_fork.py::test_kernels_do_not_share_state")),
    Guarantee(
        "time",
        "A cell is interrupted after the cell time limit and the next cells still run; past "
        "the wall-clock limit of a submission, its whole sandbox is killed and 0 recorded.",
        ("trainlab.grading.guarded_execute.GuardedExecute", "trainlab.grading.watch.Watch"),
        ("tests/grading/test_round.py::test_every_submission_gets_its_reported_outcome",)),
    Guarantee(
        "memory",
        "Each process of the kernel has an address-space limit (a blow-up is a MemoryError "
        "in that cell); the resident memory of all the sandbox's processes together is "
        "counted from outside several times a second and the sandbox killed past the limit.",
        ("trainlab.grading.kernel_entry.apply_limits", "trainlab.grading.watch.Watch.check"),
        ("tests/grading/test_round.py::test_every_submission_gets_its_reported_outcome",
         "tests/grading/test_watch.py::test_memory_of_all_processes_counts")),
    Guarantee(
        "processes",
        "The sandbox holds at most a set number of processes and threads: the watcher counts "
        "them several times a second and kills the sandbox at the limit (for root, whom "
        "RLIMIT_NPROC never stops, this is the limit); RLIMIT_NPROC, counted in the "
        "sandbox's own user namespace, stops an ordinary user's fork bomb a little above it. "
        "Every process the notebook started dies with the sandbox, even one that left its "
        "session.",
        ("trainlab.grading.kernel_entry.apply_limits", "trainlab.grading.watch.Watch.check",
         "trainlab.grading.sandbox.bwrap_args"),
        ("tests/grading/test_round.py::test_every_submission_gets_its_reported_outcome",
         "tests/grading/test_watch.py::test_too_many_processes_stop_the_sandbox")),
    Guarantee(
        "disk",
        "Files bigger than a set size cannot be written (RLIMIT_FSIZE); what the sandbox "
        "writes in all is counted and the sandbox killed past the disk limit.",
        ("trainlab.grading.kernel_entry.apply_limits", "trainlab.grading.watch.disk_bytes"),
        ("tests/grading/test_watch.py::test_disk_limit",)),
    Guarantee(
        "tamper checks",
        "Before anything runs, a submission is checked against the release: deleted or "
        "edited test cells are restored, changed points and ids put back, an unknown kernel "
        "replaced, a corrupt file recorded as 0 with the reason. Before every test cell, "
        "what the tests rely on (their helper modules, builtins, IPython's cell machinery) is "
        "restored if the notebook patched it, and the report says so.",
        ("trainlab.grading.inspect_submission.inspect_submission",
         "trainlab.grading.kernel_guard.make_guard",
         "trainlab.grading.guarded_execute.GuardedExecute"),
        ("tests/grading/test_inspect_submission.py", "tests/grading/test_kernel_guard.py",
         "tests/grading/test_round.py::test_every_submission_gets_its_reported_outcome"),
        sandbox=False),
    Guarantee(
        "hidden tests out of feedback",
        "Feedback shows no hidden test code and no error that quotes it; the gradebook is "
        "written by the round alone, one submission at a time.",
        ("trainlab.grading.feedback.FEEDBACK_PREPROCESSORS",
         "trainlab.grading.feedback.HideHiddenTestErrors", "trainlab.grading.merge"),
        ("tests/grading/test_round.py::test_feedback_hides_hidden_tests_and_answer_keys",),
        sandbox=False),
)


def describe():
    """Return the guarantees as text, one paragraph each (for the README and reports)."""
    return "\n\n".join("%s: %s\n  enforced in: %s" % (g.name, g.promise, ", ".join(g.where))
                       for g in GUARANTEES)
