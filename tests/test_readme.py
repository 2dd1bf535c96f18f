"""The README's examples run as written: the Python and LangChain blocks in a temp folder (hash embedder, extractive
backend), and the HTTP API's curl and openai-client blocks against a real `sme-ai serve` (live tier)."""

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def block(section: str, lang: str, index: int = 0) -> str:
    """The `index`-th fenced ```lang block under the `## section` heading."""
    body = README.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{lang}\n(.*?)```", body, re.S)[index]


def clean_env(folder, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SME_AI_")}
    return {**env, "SME_AI_EMBEDDER": "hash", "SME_AI_LLM_BACKEND": "extractive", "SME_AI_CONFIG": str(folder / "x.toml"),
            "HF_HUB_OFFLINE": "1", **extra}


def run_python(code: str, folder, env) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    return r


@pytest.fixture(scope="module")
def readme_folder(tmp_path_factory):
    """A folder like a checkout's (corpora/ and evals/ beside the script) where the Python block has run."""
    folder = tmp_path_factory.mktemp("readme")
    (folder / "corpora").symlink_to(ROOT / "corpora")
    (folder / "evals").symlink_to(ROOT / "evals")
    r = run_python(block("Python", "python"), folder, clean_env(folder))
    return folder, r.stdout


def test_the_python_example_runs(readme_folder):
    folder, out = readme_folder
    assert (folder / "kb" / "state.json").is_file()
    assert "evidence:" in out and out.strip().splitlines()[-1].split()[0].isdigit()  # assessment level, plan title


def test_the_langchain_example_runs(readme_folder):
    folder, _ = readme_folder
    out = run_python(block("LangChain", "python"), folder, clean_env(folder)).stdout
    assert "[(" in out and "'source'" in out


@pytest.mark.live
def test_the_http_api_examples_run_against_a_real_server(tmp_path):
    from test_api_live import start_server

    with start_server(tmp_path) as server:
        port = server["base"].rsplit(":", 1)[1]
        env = {**os.environ, "SME_AI_API_KEY": server["admin"]}
        script = block("HTTP API", "bash", 1).replace("127.0.0.1:8700", f"127.0.0.1:{port}")
        r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=120)
        upload, end = json.JSONDecoder().raw_decode(r.stdout)  # curl prints the two bodies back to back
        chat = json.loads(r.stdout[end:])
        assert upload["added"] == ["action_plan_2025_2027.md"], r.stdout + r.stderr
        assert chat["choices"][0]["message"]["citations"][0]["source"] == "action_plan_2025_2027.md", chat
        code = block("HTTP API", "python").replace("127.0.0.1:8700", f"127.0.0.1:{port}")
        out = run_python(code, tmp_path, env).stdout
        assert "[{'n':" in out
