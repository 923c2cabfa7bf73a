"""Kernels that start with their heavy libraries already imported, each in a new sandbox.

Importing torch, transformers, pandas and numpy takes a lesson's kernel about 4 s of CPU
before it runs a single cell, for every submission. A *zygote* pays that once per round:
it is a Python process started afresh (never forked from the trusted worker, so it holds
nothing of the worker's: no gradebook, no database password, no course paths) with the
kernel's own environment, which imports those libraries and then only ever forks.

For each submission the worker starts a new bubblewrap sandbox (``sandbox``) whose only
program waits (``lifeline``), and asks the zygote for a kernel in it; the zygote forks one
into that sandbox (``kernel_fork``: how it joins the sandbox and what keeps submissions
apart). The sandbox of every kernel is new, made by bubblewrap for that submission alone.

This module is the zygote process itself: it preloads, then answers requests on its Unix
socket, one per connection (the request and answer are described in ``zygote_client``,
the grader's side, which starts it, probes it and asks it for kernels).

Usage (by the round): python -E -s -m trainlab.grading.zygote SOCKET MODULE [MODULE ...]
"""
from __future__ import annotations

import importlib
import json
import os
import socket
import sys

from .kernel_fork import spawn

# Modules the kernel must import itself. (matplotlib writes its configuration and font cache
# at import: the round gives the zygote a folder for them that every sandbox can read.)
NOT_PRELOADED = ()
ALWAYS_PRELOADED = ("ipykernel.kernelapp", "ipykernel.ipkernel")


def preload(modules):
    """Import what every kernel would import; a module that fails is simply not preloaded."""
    loaded = []
    for name in [*ALWAYS_PRELOADED, *modules]:
        if name.split(".")[0] in NOT_PRELOADED:
            continue
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception:
            continue
    return loaded


def serve(listener):
    """Answer requests, one per connection, until the listener is closed."""
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn, conn.makefile("rw") as stream:
            try:
                spawn(json.loads(stream.readline()))
                answer = {"ok": True}
            except Exception as error:
                answer = {"ok": False, "error": str(error)}
            stream.write(json.dumps(answer) + "\n")
            stream.flush()


def main(argv=None):
    """Preload, listen on the socket, then fork kernels on request."""
    argv = sys.argv[1:] if argv is None else argv
    socket_path, modules = argv[0], argv[1:]
    loaded = preload(modules)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o077)
    listener.bind(socket_path)
    os.umask(old)
    listener.listen(16)
    print(json.dumps({"ready": True, "preloaded": loaded}), flush=True)
    serve(listener)


if __name__ == "__main__":
    main()
