"""Grading a real class: parallel, confined autograding of nbgrader submissions.

``python -m trainlab.grading`` (``cli.main``) runs an instructor's whole round. The modules,
in the order a submission meets them:

- ``course``: the course settings, the assignment template, the real gradebook;
- ``inspect_submission``: checks and repairs a submitted notebook before it runs;
- ``workspace``: the private course copy one submission is graded in;
- ``sandbox`` (parent side) and ``confine`` (inside): namespaces, hidden paths, time limit;
- ``kernel_launcher``: the unprivileged, resource-limited, audited kernel;
- ``guarded_execute``: nbgrader's Execute step hardened against floods, dead kernels and
  patched test helpers; ``feedback``: hidden tests kept out of feedback;
- ``merge``: the single writer of the real gradebook; ``report``: the round's report;
- ``round``: all of it on a pool of workers.
"""
