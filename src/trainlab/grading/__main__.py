"""``python -m trainlab.grading``: grade a whole round (see ``cli``)."""
import sys

from .cli import main

sys.exit(main())
