"""One contract (sme_ai.testing.contracts.LLMContract), every LLM backend: the fake in the fast tier; transformers
(a tiny random model, plumbing only) and llama.cpp (the real 0.5B) in the model tier; the OpenAI-compatible client
against a real `llama_cpp.server` process on loopback in the model and live tiers."""

import os
import socket
import subprocess
import sys
import time

import pytest

from conftest import require_model
from sme_ai.generate.llm import FakeLLM, complete
from sme_ai.testing.contracts import PROMPTS, LLMContract


class TestFakeLLM(LLMContract):
    @pytest.fixture(scope="class")
    @classmethod
    def llm(cls):
        return FakeLLM(lambda m: "中小企业数字化转型是用数字技术改造经营和生产的过程。" + m[-1]["content"])


@pytest.mark.model
class TestLlamaCpp(LLMContract):
    @pytest.fixture(scope="class")
    @classmethod
    def llm(cls):
        from sme_ai.generate.llama_cpp_backend import LlamaCppLLM

        return LlamaCppLLM(require_model("qwen2.5-coder-0.5b"), name="qwen2.5-coder-0.5b", n_threads=2, n_ctx=1024)


@pytest.mark.model  # no catalog file, but torch + transformers and a model built on the spot: ~30 s, not fast
class TestTransformersTiny(LLMContract):
    @pytest.fixture(scope="class")
    @classmethod
    def llm(cls, tmp_path_factory):
        from sme_ai.generate.transformers_backend import TransformersLLM
        from tiny_llm import build_tiny_llm

        folder = build_tiny_llm(tmp_path_factory.mktemp("tiny") / "tiny-llama")
        return TransformersLLM(folder, name="tiny-llama", device="cpu")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    """A real OpenAI-compatible server process (llama-cpp-python's) on loopback with the 0.5B model."""
    import httpx

    model = require_model("qwen2.5-coder-0.5b")
    port = _free_port()
    log = open(tmp_path_factory.mktemp("server") / "server.log", "w+b")  # a pipe would fill up and block it
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
         "--n_threads", "2", "--n_ctx", "1024", "--model_alias", "qwen-0.5b",
         "--interrupt_requests", "False"],  # by default a new request cuts the one streaming: queue them instead
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail("llama_cpp.server exited: " + log.read().decode(errors="replace")[-2000:])
            try:
                if httpx.get(url + "/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail("llama_cpp.server did not start within 90 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.mark.model
@pytest.mark.live  # starts a `python -m llama_cpp.server` process
class TestOpenAICompatible(LLMContract):
    # llama_cpp.server reuses the evaluated prefix of the previous request: which of two concurrent requests goes
    # first changes the other's greedy continuation a few tokens in (seen: "以下是一些" vs "以下是三个常见的")
    order_independent = False

    @pytest.fixture(scope="class")
    @classmethod
    def llm(cls, llama_server):
        from sme_ai.generate.openai_backend import OpenAICompatLLM

        return OpenAICompatLLM(llama_server, "qwen-0.5b", api_key="test-key")


def test_openai_backend_reports_a_dead_server():  # fast: nothing listens on the port, no model needed
    from sme_ai.generate.openai_backend import LLMServerError, OpenAICompatLLM

    llm = OpenAICompatLLM(f"http://127.0.0.1:{_free_port()}", "none", timeout=3)
    with pytest.raises(LLMServerError) as e:
        complete(llm, PROMPTS[0], max_tokens=4)
    assert "127.0.0.1" in str(e.value)
