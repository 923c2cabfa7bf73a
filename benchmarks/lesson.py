"""Run the solution notebook top to bottom, as a student would, and report time and memory.

Executes ``source/lesson02/lesson02.ipynb`` in a fresh ``python3`` kernel (full mode: the tiny
models train here unless ``TRAINLAB_FAST=1``), prints each slow cell, and ends with

    lesson: wall_s=<s> peak_mb=<MB>

where ``peak_mb`` is the kernel's peak resident memory (``ru_maxrss`` of the reaped kernel
process). Budget on 2 cores: under 300 s and 1500 MB. Run: ``python benchmarks/lesson.py``.
"""
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from trainlab.lesson.mode import lesson_mode

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    nb = nbformat.read(ROOT / "source/lesson02/lesson02.ipynb", as_version=4)
    errors = []
    with tempfile.TemporaryDirectory() as tmp:
        client = NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": tmp}})
        start = time.perf_counter()
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                t = time.perf_counter()
                client.execute_cell(cell, index)
                took = time.perf_counter() - t
                errors += [f"{cell.id}: {o['ename']}: {o['evalue']}" for o in cell.outputs
                           if o.get("output_type") == "error"]
                if took > 2:
                    print(f"{took:6.1f} s  {cell.id}  {cell.source.splitlines()[0][:60]}", flush=True)
        wall = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    for line in errors:
        print("error in", line)
    print(f"mode={lesson_mode().name} "
          f"load_average={os.getloadavg()[0]:.1f} errors={len(errors)}")
    print(f"lesson: wall_s={wall:.1f} peak_mb={peak_mb:.0f}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
