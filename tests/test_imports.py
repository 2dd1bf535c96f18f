import subprocess
import sys


def test_import_is_cheap():
    """`import sme_ai` (and the CLI module) must not import torch, chromadb, gradio or llama_cpp."""
    code = ("import sys, sme_ai, sme_ai.cli, sme_ai.assistant; "
            "print(','.join(m for m in ('torch', 'chromadb', 'gradio', 'llama_cpp') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
