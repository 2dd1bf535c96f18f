"""A real `sme-ai serve` child process on a free loopback port (extractive backend, hash embedder, embedded Chroma),
driven by real clients: the official `openai` Python client and Debian's `curl`. The live tier."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from sme_ai.testing.app_process import free_port

pytestmark = pytest.mark.live
SME_AI = Path(sys.executable).parent / "sme-ai"
DOC = """---
title: 行动方案要点
doc_type: policy
---
## 目标
到2027年，中小企业上云率超过40%。规上工业中小企业关键工序数控化率达到75%。
## 试点
数字化转型城市试点支持中小企业开展数字化改造。
"""


def cli(env, *args) -> str:
    return subprocess.run([str(SME_AI), *args], env=env, capture_output=True, text=True, check=True, timeout=120).stdout


@contextmanager
def start_server(folder: Path):
    """`sme-ai serve` on a free loopback port with one tenant (acme: an admin and a user key); stopped by its pid."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SME_AI_")}
    env.update(SME_AI_EMBEDDER="hash", SME_AI_MIN_DENSE_SCORE="0.0", SME_AI_DATA_DIR=str(folder / "kb"),
               SME_AI_CONFIG=str(folder / "none.toml"), PYTHONUNBUFFERED="1", HF_HUB_OFFLINE="1")
    admin = json.loads(cli(env, "keys", "create", "--tenant", "acme", "--admin", "--json"))["key"]
    user = json.loads(cli(env, "keys", "create", "--tenant", "acme", "--json"))["key"]
    port = free_port()
    log = open(folder / "serve.log", "w", encoding="utf-8")
    proc = subprocess.Popen([str(SME_AI), "--llm-backend", "extractive", "serve", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (folder / "serve.log").read_text()
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                assert time.monotonic() < deadline, (folder / "serve.log").read_text()
                time.sleep(0.3)
        yield {"base": base, "admin": admin, "user": user, "folder": folder, "pid": proc.pid}
    finally:
        proc.send_signal(signal.SIGTERM)  # by pid: only the server started here
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("api-live")
    (folder / "plan.md").write_text(DOC, encoding="utf-8")
    with start_server(folder) as s:
        yield s


def curl(*args) -> subprocess.CompletedProcess:
    assert shutil.which("curl"), "Debian's curl is needed for the live tier: apt-get install curl"
    return subprocess.run(["curl", "-sS", "--max-time", "60", *args], capture_output=True, text=True, timeout=90)


@pytest.fixture(scope="module")
def uploaded(server):
    r = curl("-X", "POST", f"{server['base']}/v1/documents", "-H", f"Authorization: Bearer {server['admin']}",
             "-F", f"file=@{server['folder'] / 'plan.md'}", "-w", "\n%{http_code}")
    body, code = r.stdout.rsplit("\n", 1)
    assert code == "201", r.stdout + r.stderr
    assert json.loads(body)["added"] == ["plan.md"]
    return server


def test_the_server_binds_loopback_only(server):
    out = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout if shutil.which("ss") else ""
    port = server["base"].rsplit(":", 1)[1]
    listening = [line for line in out.splitlines() if f":{port} " in line]
    assert not listening or all("127.0.0.1:" in line for line in listening)


def test_openai_client_non_streaming_reads_the_citations(uploaded):
    from openai import OpenAI

    client = OpenAI(base_url=uploaded["base"] + "/v1", api_key=uploaded["user"], max_retries=0)
    assert [m.id for m in client.models.list()] == ["acme"]
    completion = client.chat.completions.create(
        model="acme", messages=[{"role": "user", "content": "到2027年中小企业上云率的目标是多少？"}])
    message = completion.choices[0].message
    assert "40%" in message.content and message.refused is False
    citations = message.model_extra["citations"]
    assert citations[0]["source"] == "plan.md" and citations[0]["section"] == "目标" and citations[0]["quote"] in DOC


def test_openai_client_streaming_gets_the_citations_on_the_final_chunk(uploaded):
    from openai import OpenAI

    client = OpenAI(base_url=uploaded["base"] + "/v1", api_key=uploaded["user"], max_retries=0)
    stream = client.chat.completions.create(model="sme-ai", stream=True, messages=[
        {"role": "user", "content": "2027年的目标是什么？"}, {"role": "assistant", "content": "上云率超过40%[1]。"},
        {"role": "user", "content": "那数控化率呢？"}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    final = chunks[-1].choices[0]
    assert final.finish_reason == "stop"
    extra = final.delta.model_extra
    assert "75%" in extra["answer"] and extra["refused"] is False and extra["citations"]
    assert text == extra["answer"] or extra["replaced"]


def test_openai_client_sees_errors_in_openai_format(uploaded):
    import openai

    client = openai.OpenAI(base_url=uploaded["base"] + "/v1", api_key="sme-bad-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as e:
        client.models.list()
    assert e.value.body["type"] == "authentication_error"
    client = openai.OpenAI(base_url=uploaded["base"] + "/v1", api_key=uploaded["user"], max_retries=0)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="someone-else", messages=[{"role": "user", "content": "你好"}])


def test_curl_chat_search_and_streaming(uploaded):
    base, key = uploaded["base"], uploaded["user"]
    body = json.dumps({"model": "acme", "messages": [{"role": "user", "content": "数控化率目标是多少？"}]})
    r = curl(f"{base}/v1/chat/completions", "-H", f"Authorization: Bearer {key}", "-H",
             "Content-Type: application/json", "-d", body)
    message = json.loads(r.stdout)["choices"][0]["message"]
    assert "75%" in message["content"] and message["citations"][0]["source"] == "plan.md"
    r = curl("-N", f"{base}/v1/chat/completions", "-H", f"Authorization: Bearer {key}", "-H",
             "Content-Type: application/json", "-d", json.dumps({**json.loads(body), "stream": True}))
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("data: ")]
    assert lines[-1] == "data: [DONE]" and json.loads(lines[-2][6:])["choices"][0]["delta"]["citations"]
    r = curl(f"{base}/v1/search", "-H", f"Authorization: Bearer {key}", "-H", "Content-Type: application/json",
             "-d", json.dumps({"query": "上云率", "k": 3}))
    assert json.loads(r.stdout)["data"][0]["source"] == "plan.md"
    r = curl(f"{base}/v1/documents", "-H", "Authorization: Bearer nope", "-w", "\n%{http_code}")
    out, code = r.stdout.rsplit("\n", 1)
    assert code == "401" and json.loads(out)["error"]["type"] == "authentication_error"
    r = curl(f"{base}/docs", "-w", "\n%{http_code}")
    assert r.stdout.rsplit("\n", 1)[1] == "200"
