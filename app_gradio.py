"""中小企业数字化转型助手 · the Gradio app. Run `python app_gradio.py` and open http://127.0.0.1:7860.

Thin by design: everything lives in `sme_ai.app`. Settings come from `SME_AI_*` variables (SME_AI_HOST,
SME_AI_PORT, SME_AI_ADMIN_TOKEN, SME_AI_DATA_DIR, SME_AI_LLM_BACKEND, ...).
"""

import sys

from sme_ai.app import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
