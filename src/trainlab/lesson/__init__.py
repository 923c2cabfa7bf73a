"""What the notebook calls to set up, check and show; and the editions made from it.

Read in this order:

- ``setup``: the first cell's ``start_lesson``: versions, seeds, threads, and the mode
- ``mode``: full, fast or grading, the one object every gated cell asks
- ``expectations``: the visible tests' helpers, messages that say how far off an answer is
- ``live_plot``: the loss curve redrawn while a model trains
- ``pipeline_figure``: the four stages as one figure
- ``scale``: published training runs beside the run timed on this machine
- ``widgets``: the compute-and-cost calculator
- ``editions``: ``release/`` and ``notebooks/`` generated from ``source/``
"""
