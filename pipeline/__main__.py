"""``python -m pipeline …``: the command line (validate, import-plan, load, refresh, scheduler)."""

import sys

from pipeline.cli import main

sys.exit(main())
