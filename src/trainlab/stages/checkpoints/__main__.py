"""Rebuild the shipped checkpoints: ``python -m trainlab.stages.checkpoints [DIRECTORY]``."""
import sys

from trainlab.stages.checkpoints import main

sys.exit(main())
