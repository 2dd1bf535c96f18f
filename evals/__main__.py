"""`python -m evals [options]` — the same as `sme-ai eval`."""

import sys

from sme_ai.cli import main

sys.exit(main(["eval", *sys.argv[1:]]))
