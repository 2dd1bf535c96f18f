"""`python -m sme_ai.app`: the web app, as `app_gradio.py` starts it (works from an installed package too)."""

import sys

from sme_ai.app import main

sys.exit(main(sys.argv[1:]))
