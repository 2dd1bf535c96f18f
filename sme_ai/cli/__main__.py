"""`python -m sme_ai.cli` is the `sme-ai` command."""

import sys

from sme_ai.cli import main

sys.exit(main())
