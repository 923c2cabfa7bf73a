"""Grading a real class: parallel autograding of nbgrader submissions, each kernel sandboxed.

``python -m trainlab.grading`` (``cli.main``, also ``trainlab grade`` and ``./course grade``)
runs an instructor's whole round, as an ordinary user or as root. What it guarantees about
student code (no network, nothing outside the private copy, time, memory, processes, tamper
checks, hidden tests out of feedback) and where each guarantee is enforced is listed in one
place: ``guarantees``. The modules, in the order a submission meets them:

- ``course``: the course settings, the assignment template (the one place that runs
  ``generate_assignment``, in a scratch copy), the real gradebook;
- ``inspect_submission``: checks and repairs a submitted notebook before it runs;
- ``workspace``: the private course copy one submission is graded in;
- ``round``: plans and drives the round, handing the submissions to a pool of long-lived
  ``worker`` processes (nbgrader loaded once each; ``worker_client``: the round's side of
  one); ``spec``: the typed messages between them and the kernel;
- ``sandbox``: each kernel's bubblewrap sandbox (an allow-list root, no network);
  ``zygote``: the process that preloads the kernel's libraries and forks kernels on request
  (``zygote_client``: the grader's side of it); ``kernel_fork``: how a forked kernel joins
  its new sandbox and gives up every right;
  ``kernel_entry``: the first code in the sandbox (limits, environment, audit);
  ``watch``: memory, processes, disk and time of the whole sandbox, counted from outside;
- ``guarded_execute``: nbgrader's Execute step hardened against floods, dead kernels and
  patched test helpers, with ``kernel_guard``, the code it runs inside the kernel;
- ``feedback``: hidden tests kept out of feedback; ``cells``: what nbgrader's cell metadata
  says (which cells are tests);
- ``merge``: the single writer of the real gradebook, which also brings the autograded
  notebook and feedback into the course; ``report``: the round's report.
"""
