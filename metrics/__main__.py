"""``python -m metrics …`` still works for those used to it: the command line lives in ``pipeline.cli``."""

import sys

from pipeline.cli import main

sys.exit(main())
