"""``python -m postcrawl`` runs the CLI."""

import sys

from postcrawl.cli import main

sys.exit(main())
