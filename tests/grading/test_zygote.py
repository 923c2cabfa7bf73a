"""The zygote preloads what kernels import, and leaves out what fails or is held back."""
import subprocess
import sys


def test_preloading_skips_what_fails_and_what_is_held_back():
    code_ = ("import json, sys; from trainlab.grading import zygote;"
             "zygote.NOT_PRELOADED = ('email',);"
             "print(json.dumps(zygote.preload(sys.argv[1:])))")
    out = subprocess.run([sys.executable, "-c", code_, "email.message", "json",
                          "no_such_module_anywhere"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == '["ipykernel.kernelapp", "ipykernel.ipkernel", "json"]'
