"""Beyond one machine: a real Chroma server process (`chroma run`), and two `sme-ai serve` workers that share it and
one data folder. A document uploaded through one worker is found and answered through the other. The live tier."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from sme_ai.testing.app_process import free_port

pytestmark = pytest.mark.live
BIN = Path(sys.executable).parent
DOC = "---\ntitle: 扩容测试\n---\n## 目标\n到2027年，试点企业的设备联网率达到QZ-4471标准的85%。\n"


def _wait(url: str, proc: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.3)


@contextmanager
def _process(cmd: list[str], env: dict, log: Path, ready_url: str):
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _wait(ready_url, proc, log)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)  # by pid: only what this test started
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def _call(base: str, path: str, key: str, body: dict | None = None, files: Path | None = None) -> dict:
    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, timeout=120) as c:
        if files is not None:
            r = c.post(path, headers=headers, files={"file": (files.name, files.read_bytes(), "text/markdown")})
        elif body is not None:
            r = c.post(path, headers=headers, json=body)
        else:
            r = c.get(path, headers=headers)
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_two_workers_share_one_chroma_server_and_one_knowledge_base(tmp_path):
    chroma_port, ports = free_port(), [free_port(), free_port()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SME_AI_")}
    env.update(SME_AI_EMBEDDER="hash", SME_AI_MIN_DENSE_SCORE="0.0", SME_AI_DATA_DIR=str(tmp_path / "kb"),
               SME_AI_VECTOR_STORE="chroma-http", SME_AI_CHROMA_HOST="127.0.0.1", SME_AI_CHROMA_PORT=str(chroma_port),
               SME_AI_CONFIG=str(tmp_path / "none.toml"), ANONYMIZED_TELEMETRY="False", PYTHONUNBUFFERED="1")
    keys = subprocess.run([str(BIN / "sme-ai"), "keys", "create", "--tenant", "acme", "--admin", "--json"], env=env,
                          capture_output=True, text=True, check=True, timeout=120).stdout
    key = json.loads(keys)["key"]
    doc = tmp_path / "扩容.md"
    doc.write_text(DOC, encoding="utf-8")
    with ExitStack() as stack:
        stack.enter_context(_process([str(BIN / "chroma"), "run", "--path", str(tmp_path / "chroma"), "--host",
                                      "127.0.0.1", "--port", str(chroma_port)], env, tmp_path / "chroma.log",
                                     f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat"))
        bases = []
        for i, port in enumerate(ports):
            stack.enter_context(_process([str(BIN / "sme-ai"), "--llm-backend", "extractive", "serve", "--port",
                                          str(port)], env, tmp_path / f"worker{i}.log",
                                         f"http://127.0.0.1:{port}/healthz"))
            bases.append(f"http://127.0.0.1:{port}")
        first, second = bases
        assert _call(second, "/v1/search", key, {"query": "QZ-4471 设备联网率"})["data"] == []
        uploaded = _call(first, "/v1/documents", key, files=doc)
        assert "扩容.md" in json.dumps(uploaded, ensure_ascii=False)
        found = _call(second, "/v1/search", key, {"query": "QZ-4471 设备联网率"})["data"]  # the other worker
        assert found and "85%" in found[0]["text"]
        assert [d["source"] for d in _call(second, "/v1/documents", key)["data"]] == ["扩容.md"]
        question = {"model": "sme-ai", "messages": [{"role": "user", "content": "设备联网率要达到QZ-4471标准的多少？"}]}
        answers = [_call(base, "/v1/chat/completions", key, question)["choices"][0]["message"] for base in bases]
        assert "85%" in answers[0]["content"] and answers[0]["content"] == answers[1]["content"]
        assert answers[0]["citations"] == answers[1]["citations"] and answers[0]["citations"]
    # the vectors live in the server's folder, not in the workers' data folder
    assert (tmp_path / "chroma").is_dir() and not (tmp_path / "kb" / "tenants" / "acme" / "chroma").exists()
