"""Grading a real class: parallel, confined autograding of nbgrader submissions.

``python -m trainlab.grading`` (``cli.main``, also ``trainlab grade``) runs an instructor's
whole round. The modules, in the order a submission meets them:

- ``course``: the course settings, the assignment template (the one place that runs
  ``generate_assignment``, in a scratch copy), the real gradebook;
- ``inspect_submission``: checks and repairs a submitted notebook before it runs;
- ``workspace``: the private course copy one submission is graded in;
- ``sandbox`` (parent side) and ``confine`` (inside): namespaces, hidden paths, time limit;
- ``kernel_launcher``: the unprivileged, resource-limited, audited kernel;
- ``guarded_execute``: nbgrader's Execute step hardened against floods, dead kernels and
  patched test helpers;
- ``feedback``: hidden tests kept out of feedback; ``cells``: what nbgrader's cell metadata
  says (which cells are tests);
- ``merge``: the single writer of the real gradebook; ``report``: the round's report;
- ``round``: all of it on a pool of workers.

Each guarantee has one home:

- no network: ``sandbox`` (a network namespace with only its own loopback, ``confine``);
- nothing of the course but the private copy: ``confine.hide_paths`` over the gradebook,
  ``source/``, ``submitted/`` and the outputs; ``workspace`` builds the copy;
- time: ``sandbox.run_confined`` (per submission) and the cell timeout of ``guarded_execute``;
- memory, processes, file size, no root: ``kernel_launcher`` (rlimits, dropped uid);
- tamper checks: ``inspect_submission`` (edited or deleted cells restored) and
  ``guarded_execute`` (patched test helpers restored before every graded cell);
- hidden tests out of feedback: ``feedback.FEEDBACK_PREPROCESSORS``, the list that
  ``nbgrader_config.py`` uses too;
- one result per submission in the gradebook: ``merge``, its only writer; every submission
  reported, gradable or not: ``round`` and ``report``.
"""
