"""Rebuild the shipped checkpoints: ``python -m trainlab.checkpoints [DIRECTORY]``."""
import json
import sys
from pathlib import Path

from trainlab.checkpoints import CHECKPOINT_DIR, build_checkpoints

directory = Path(sys.argv[1]) if len(sys.argv) > 1 else CHECKPOINT_DIR
print(json.dumps(build_checkpoints(directory), indent=1))
