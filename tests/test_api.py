"""The HTTP API in process (FastAPI's TestClient): hash embedder, in-memory store, FakeLLM or the extractive mode."""

import json
import os
import stat

import pytest
import yaml
from fastapi.testclient import TestClient

from sme_ai.api import create_app
from sme_ai.api.chat import split_messages
from sme_ai.api.keys import KeyStore
from sme_ai.api.schemas import ChatMessage
from sme_ai.generate.llm import FakeLLM

from conftest import CORPORA, ROOT

DOC = """---
title: 行动方案要点
doc_type: policy
---
## 目标
到2027年，中小企业上云率超过40%。规上工业中小企业关键工序数控化率达到75%。
## 试点
数字化转型城市试点支持中小企业开展数字化改造。
## 评估
企业可以对照评测指标开展数字化水平自评，找到差距后制定改造方案。
"""
REPLY = "到2027年中小企业上云率超过40%[1]。"


def keyring(settings):
    store = KeyStore(settings.keys_path)
    return {name: store.create(tenant, admin=admin)[1]
            for name, tenant, admin in [("a_admin", "acme", True), ("a_user", "acme", False),
                                        ("b_admin", "beta", True), ("b_user", "beta", False)]}


def auth(key):
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def settings(fake_settings):
    return fake_settings.model_copy(update={"min_dense_score": 0.0, "api_rate_burst": 1000,
                                            "llm_backend": "extractive"})


@pytest.fixture
def keys(settings):
    return keyring(settings)


def upload(client, key, name, text, **params):
    return client.post("/v1/documents", headers=auth(key), params=params,
                       files={"file": (name, text.encode("utf-8"), "text/markdown")})


@pytest.fixture
def client(settings, keys):
    """Tenant acme has the policy document; answers come from FakeLLM."""
    app = create_app(settings, llm=FakeLLM(REPLY))
    with TestClient(app) as c:
        assert upload(c, keys["a_admin"], "plan.md", DOC).status_code == 201
        yield c


def chat(client, key, question, model="sme-ai", history=(), **extra):
    messages = [m for q, a in history for m in ({"role": "user", "content": q}, {"role": "assistant", "content": a})]
    body = {"model": model, "messages": [*messages, {"role": "user", "content": question}], **extra}
    return client.post("/v1/chat/completions", headers=auth(key), json=body)


def sse_events(response) -> list:
    assert response.headers["content-type"].startswith("text/event-stream")
    lines = [ln[len("data: "):] for ln in response.text.splitlines() if ln.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    return [json.loads(x) for x in lines[:-1]]


def is_openai_error(body, code=None):
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "code", "param"}
    assert body["error"]["message"] and "Traceback" not in body["error"]["message"]
    if code:
        assert body["error"]["code"] == code, body
    return True


# --- health, docs, auth --------------------------------------------------------------------------


def test_health_and_docs_need_no_key(client):
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/chat/completions", "/v1/models", "/v1/search", "/v1/documents", "/v1/documents/{key}",
            "/v1/assessments", "/v1/plans", "/healthz"} <= set(paths)


def test_requests_without_a_valid_key_get_401_in_openai_format(client, settings, keys):
    for headers in ({}, auth("nope"), auth("sme-0000-xx"), {"Authorization": "Basic abc"}):
        r = client.get("/v1/models", headers=headers)
        assert r.status_code == 401 and is_openai_error(r.json(), "authentication")
        assert r.json()["error"]["type"] == "authentication_error"
    store = KeyStore(settings.keys_path)
    key_id = next(k.id for k in store.list() if k.tenant == "beta" and not k.admin)
    assert client.get("/v1/models", headers=auth(keys["b_user"])).status_code == 200
    store.revoke(key_id)
    assert client.get("/v1/models", headers=auth(keys["b_user"])).status_code == 401


def test_keys_are_stored_hashed_with_a_short_id(settings, keys):
    raw = settings.keys_path.read_text(encoding="utf-8")
    assert all(key not in raw for key in keys.values())
    assert stat.S_IMODE(os.stat(settings.keys_path).st_mode) == 0o600
    records = json.loads(raw)["keys"]
    assert len(records) == 4 and all(len(r["sha256"]) == 64 and len(r["id"]) == 8 for r in records)


def test_models_are_the_knowledge_bases_a_key_may_use(client, keys):
    ids = lambda key: [m["id"] for m in client.get("/v1/models", headers=auth(key)).json()["data"]]  # noqa: E731
    assert ids(keys["a_user"]) == ["acme"] and ids(keys["b_user"]) == ["beta"]
    assert ids(keys["a_admin"]) == ["acme", "beta"]
    r = chat(client, keys["b_user"], "上云率目标？", model="acme")
    assert r.status_code == 404 and is_openai_error(r.json()) and r.json()["error"]["param"] == "model"


# --- chat completions ----------------------------------------------------------------------------


def test_chat_completion_carries_citations_and_refused(client, keys):
    r = chat(client, keys["a_user"], "中小企业上云率目标是多少？", model="acme")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion" and body["model"] == "acme"
    message = body["choices"][0]["message"]
    assert message["role"] == "assistant" and "40%" in message["content"] and message["refused"] is False
    c = message["citations"][0]
    fields = {"n", "title", "section", "page", "source", "quote"}
    assert fields <= set(c) <= fields | {"ocr_confidence", "doc_number"}  # the last two: OCR'd / official sources
    assert c["source"] == "plan.md" and c["title"] == "行动方案要点" and c["section"] == "目标" and "40%" in c["quote"]


def test_chat_streams_sse_chunks_and_the_citations_travel_on_the_final_chunk(client, keys):
    r = chat(client, keys["a_user"], "中小企业上云率目标是多少？", stream=True)
    assert r.status_code == 200
    events = sse_events(r)
    assert all(e["object"] == "chat.completion.chunk" for e in events)
    assert events[0]["choices"][0]["delta"]["role"] == "assistant"
    final = events[-1]["choices"][0]
    assert final["finish_reason"] == "stop" and final["delta"]["refused"] is False
    assert final["delta"]["citations"][0]["source"] == "plan.md"
    streamed = "".join(e["choices"][0]["delta"].get("content", "") for e in events)
    assert final["delta"]["answer"] == streamed or final["delta"]["replaced"]
    drafts = [i for i, e in enumerate(events) if "draft" in e["choices"][0]["delta"]]
    texts = [i for i, e in enumerate(events) if e["choices"][0]["delta"].get("content")]
    assert drafts and drafts[0] < texts[0]  # the quoted draft comes before the model's first text
    draft = events[drafts[0]]["choices"][0]["delta"]["draft"]
    assert "40%" in draft["answer"] and draft["citations"][0]["source"] == "plan.md"
    assert "40%" in final["delta"]["answer"]
    again = sse_events(chat(client, keys["a_user"], "中小企业上云率目标是多少？", stream=True))  # from the cache
    assert again[-1]["choices"][0]["delta"]["citations"] == final["delta"]["citations"]
    assert "".join(e["choices"][0]["delta"].get("content", "") for e in again) == final["delta"]["answer"]


def test_a_near_duplicate_question_is_answered_from_the_tenants_cache_after_retrieval(client, keys):
    tenant = client.app.state.services.tenants.get("acme")
    first = chat(client, keys["a_user"], "中小企业上云率目标是多少？").json()["choices"][0]["message"]
    calls = tenant.assistant.llm.calls if hasattr(tenant.assistant.llm, "calls") else None
    near = sse_events(chat(client, keys["a_user"], "请问2027年中小企业上云率要达到多少", stream=True))
    assert near[-1]["choices"][0]["delta"]["answer"] == first["content"]
    assert not any("draft" in e["choices"][0]["delta"] for e in near)  # stopped before the model: no draft either
    if calls is not None:
        assert tenant.assistant.llm.calls == calls
    log = (tenant.folder / "api" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(log[-1])["cached"] is True and json.loads(log[-1])["question"] == "请问2027年中小企业上云率要达到多少"
    other = chat(client, keys["a_user"], "2026年中小企业上云率要达到多少").json()["choices"][0]["message"]
    assert json.loads((tenant.folder / "api" / "questions.jsonl").read_text(encoding="utf-8")
                      .splitlines()[-1])["cached"] is False and other["content"] != first["content"]


def test_the_message_history_becomes_the_follow_up_history(client, keys, monkeypatch):
    tenant = client.app.state.services.tenants.get("acme")
    seen = []
    original = tenant.assistant.stream

    def spy(question, history=None, **kwargs):
        seen.append((question, history))
        return original(question, history, **kwargs)

    monkeypatch.setattr(tenant.assistant, "stream", spy)
    r = chat(client, keys["a_user"], "那数控化率呢？", history=[("2027年上云率目标是什么？", "超过40%[1]。")])
    assert r.status_code == 200
    assert seen == [("那数控化率呢？", [("2027年上云率目标是什么？", "超过40%[1]。")])]
    msgs = [ChatMessage(role="system", content="be brief"), ChatMessage(role="user", content="q1"),
            ChatMessage(role="assistant", content=[{"type": "text", "text": "a1"}]),
            ChatMessage(role="user", content="q2")]
    assert split_messages(msgs) == ("q2", [("q1", "a1")])


def test_a_refusal_says_refused_without_citations(settings, keys):
    strict = settings.model_copy(update={"min_dense_score": 0.99})
    with TestClient(create_app(strict, llm=FakeLLM(REPLY))) as c:
        upload(c, keys["a_admin"], "plan.md", DOC)
        message = chat(c, keys["a_user"], "火星移民的补贴政策是什么？").json()["choices"][0]["message"]
        assert message["refused"] is True and message["citations"] == [] and message["content"]
        events = sse_events(chat(c, keys["a_user"], "火星移民的补贴政策是什么？", stream=True))
        assert events[-1]["choices"][0]["delta"]["refused"] is True
        assert "".join(e["choices"][0]["delta"].get("content", "") for e in events) == message["content"]


@pytest.mark.parametrize("messages, param", [
    ([{"role": "assistant", "content": "hi"}], "messages"),
    ([], "messages"),
    ([{"role": "user", "content": "  "}], None),
    ([{"role": "user", "content": "问" * 3000}], None),
    ([{"role": "robot", "content": "x"}], "messages.0.role"),
])
def test_bad_chat_requests_get_400_with_a_clear_message(client, keys, messages, param):
    r = client.post("/v1/chat/completions", headers=auth(keys["a_user"]), json={"model": "acme", "messages": messages})
    assert r.status_code == 400 and is_openai_error(r.json())
    if param:
        assert r.json()["error"]["param"] == param


# --- search and documents -----------------------------------------------------------------------


def test_search_returns_ranked_passages_with_legs(client, keys):
    r = client.post("/v1/search", headers=auth(keys["a_user"]), json={"query": "數控化率", "k": 2})
    hits = r.json()["data"]
    assert r.status_code == 200 and 1 <= len(hits) <= 2 and "75%" in hits[0]["text"]
    assert hits[0]["source"] == "plan.md" and hits[0]["legs"]
    r = client.post("/v1/search", headers=auth(keys["a_user"]), json={"query": "x", "k": 0})
    assert r.status_code == 400 and r.json()["error"]["param"] == "k"


def test_documents_are_listed_uploaded_and_removed_by_admin_keys(client, keys):
    docs = client.get("/v1/documents", headers=auth(keys["a_user"])).json()["data"]
    assert [d["source"] for d in docs] == ["plan.md"]
    r = upload(client, keys["a_user"], "more.md", "# 更多\n内容。")
    assert r.status_code == 403 and is_openai_error(r.json(), "admin_key_required")
    assert client.delete("/v1/documents/plan.md", headers=auth(keys["a_user"])).status_code == 403
    r = upload(client, keys["a_admin"], "../../etc/通知 (1).md", "# 通知\n第二份文件的内容。")
    assert r.status_code == 201 and r.json()["name"] == "通知_1.md" and r.json()["added"] == ["通知_1.md"]
    again = upload(client, keys["a_admin"], "plan.md", DOC).json()  # the same content: nothing changes
    assert again["added"] == [] and again["unchanged"] and again["chunks_embedded"] == 0
    r = client.delete("/v1/documents/通知_1.md", headers=auth(keys["a_admin"]))
    assert r.status_code == 200 and r.json()["deleted"]
    r = client.delete("/v1/documents/nothing.md", headers=auth(keys["a_admin"]))
    assert r.status_code == 404 and is_openai_error(r.json(), "document_not_found")


def test_uploads_get_the_apps_checks(client, keys, settings):
    r = upload(client, keys["a_admin"], "tool.exe", "MZ")
    assert r.status_code == 400 and "不支持的文件类型" in r.json()["error"]["message"]
    r = client.post("/v1/documents", headers=auth(keys["a_admin"]),
                    files={"file": ("fake.pdf", b"not a pdf at all", "application/pdf")})
    assert r.status_code == 400 and "不是有效的 .pdf" in r.json()["error"]["message"]
    assert upload(client, keys["a_admin"], "empty.md", "").status_code == 400
    big = "字" * (settings.max_upload_bytes // 3 + 10)
    r = upload(client, keys["a_admin"], "big.md", big)
    assert r.status_code == 413 and is_openai_error(r.json())
    assert str(settings.data_dir) not in json.dumps(r.json())


def test_request_bodies_over_the_limit_get_413(settings, keys):
    small = settings.model_copy(update={"api_max_request_mb": 0.01})
    with TestClient(create_app(small)) as c:
        r = c.post("/v1/search", headers=auth(keys["a_user"]), json={"query": "上云" * 10000})
        assert r.status_code == 413 and is_openai_error(r.json(), "request_too_large")


def test_rate_limit_per_key_answers_429_with_retry_after(settings, keys):
    limited = settings.model_copy(update={"api_rate_burst": 2, "api_rate_per_minute": 6})
    with TestClient(create_app(limited)) as c:
        codes = [c.get("/v1/models", headers=auth(keys["a_user"])).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        r = c.get("/v1/models", headers=auth(keys["a_user"]))
        assert is_openai_error(r.json()) and r.json()["error"]["type"] == "rate_limit_error"
        assert 1 <= int(r.headers["Retry-After"]) <= 10
        assert c.get("/v1/models", headers=auth(keys["b_user"])).status_code == 200  # another key's own bucket


def test_an_unexpected_error_is_a_500_without_a_traceback(client, keys, monkeypatch):
    tenant = client.app.state.services.tenants.get("acme")
    monkeypatch.setattr(tenant.assistant, "search", lambda *a, **k: 1 / 0)
    with TestClient(client.app, raise_server_exceptions=False) as c:
        r = c.post("/v1/search", headers=auth(keys["a_user"]), json={"query": "上云"})
    assert r.status_code == 500 and is_openai_error(r.json(), "internal_error")
    assert "ZeroDivision" not in r.text


# --- assessments and plans ----------------------------------------------------------------------


def answers_file(name="05_textile_micro_pilot.yaml"):
    return yaml.safe_load((ROOT / "evals" / "plans" / "answers" / name).read_text(encoding="utf-8"))


def profile_file(name="05_textile_micro_pilot.yaml"):
    return yaml.safe_load((ROOT / "evals" / "plans" / "profiles" / name).read_text(encoding="utf-8"))


def test_assessments_as_json_or_markdown(client, keys):
    r = client.post("/v1/assessments", headers=auth(keys["a_user"]), json={"answers": answers_file()})
    assert r.status_code == 200 and "level" in r.json()
    r = client.post("/v1/assessments", headers={**auth(keys["a_user"]), "Accept": "text/markdown"},
                    json={"answers": answers_file()})
    assert r.headers["content-type"].startswith("text/markdown") and r.text.startswith("#")
    r = client.post("/v1/assessments", headers=auth(keys["a_user"]), json={"answers": {"items": {"nope": ["x"]}}})
    assert r.status_code == 400 and is_openai_error(r.json(), "assessment_input") and "自评答案有误" in r.text


def test_plans_as_json_markdown_or_docx(settings, keys):
    with TestClient(create_app(settings)) as c:  # the extractive mode: a complete plan without a model
        r = c.post("/v1/plans", headers=auth(keys["a_user"]), json={"profile": profile_file()})
        assert r.status_code == 409 and is_openai_error(r.json(), "empty_knowledge_base")
        tenant = c.app.state.services.tenants.get("acme")
        tenant.write(tenant.assistant.ingest, [CORPORA])
        body = {"profile": profile_file(), "assessment": answers_file()}
        r = c.post("/v1/plans", headers=auth(keys["a_user"]), json=body)
        assert r.status_code == 200 and r.json()["sections"] and r.json()["references"]
        r = c.post("/v1/plans", headers={**auth(keys["a_user"]), "Accept": "text/markdown"}, json=body)
        assert r.headers["content-type"].startswith("text/markdown") and r.text.startswith("# ")
        r = c.post("/v1/plans", headers=auth(keys["a_user"]), json={**body, "format": "docx"})
        assert r.content[:2] == b"PK" and "attachment" in r.headers["content-disposition"]
        r = c.post("/v1/plans", headers=auth(keys["a_user"]), json={"profile": {"name": ""}})
        assert r.status_code == 400 and is_openai_error(r.json(), "profile")


# --- tenants never see each other's documents ---------------------------------------------------

SECRET = """---
title: 澄星机械内部资料
---
## 设备联网
澄星机械的设备联网暗号是QX7731，设备联网率达到93.7%。
"""
OTHER = """---
title: 贝塔公司手册
---
## 概况
贝塔公司主营纺织品，计划开展数字化改造，先上云再做设备联网。
"""


def test_one_tenants_documents_never_reach_another_tenant(settings, keys):
    """A's unique fact is asked for as B through every endpoint: search, chat, chat streaming, documents, the
    answer cache and the question log."""
    with TestClient(create_app(settings)) as c:  # extractive answers: whatever is said comes from the passages
        assert upload(c, keys["a_admin"], "secret.md", SECRET).status_code == 201
        assert upload(c, keys["b_admin"], "beta.md", OTHER).status_code == 201
        question = "澄星机械的设备联网暗号是什么？"
        a = chat(c, keys["a_user"], question).json()["choices"][0]["message"]  # A asks first: A's cache is warm
        assert "QX7731" in a["content"] and a["citations"][0]["source"] == "secret.md"
        leaks = ("QX7731", "93.7", "secret.md", "澄星机械内部资料")

        seen = [json.dumps(c.post("/v1/search", headers=auth(keys["b_user"]), json={"query": q, "k": 50}).json(),
                           ensure_ascii=False) for q in (question, "QX7731", "设备联网率")]
        seen.append(json.dumps(chat(c, keys["b_user"], question).json(), ensure_ascii=False))
        seen.append(chat(c, keys["b_user"], question, stream=True).text)
        seen.append(json.dumps(c.get("/v1/documents", headers=auth(keys["b_user"])).json(), ensure_ascii=False))
        seen.append(json.dumps(c.get("/v1/models", headers=auth(keys["b_user"])).json(), ensure_ascii=False))
        assert not [(leak, text) for text in seen for leak in leaks if leak in text]
        assert "beta.md" in seen[-2]  # B does see its own

        blocked = [chat(c, keys["b_user"], question, model="acme"),  # naming A's knowledge base
                   c.post("/v1/search", headers=auth(keys["b_user"]), json={"query": question, "model": "acme"}),
                   c.get("/v1/documents", headers=auth(keys["b_user"]), params={"model": "acme"})]
        assert [r.status_code for r in blocked] == [404, 404, 404]

        tenants = c.app.state.services.tenants
        a_dir, b_dir = tenants.get("acme").folder, tenants.get("beta").folder
        assert a_dir == settings.data_dir / "tenants" / "acme" and b_dir == settings.data_dir / "tenants" / "beta"
        b_log = (b_dir / "api" / "questions.jsonl").read_text(encoding="utf-8")
        assert b_log.count("\n") == 2 and not [leak for leak in leaks if leak in b_log]
        assert "secret.md" in (a_dir / "api" / "questions.jsonl").read_text(encoding="utf-8")
        assert not any(leak in repr(list(tenants.get("beta")._cache._items.values())) for leak in leaks)
        # an admin key may manage another tenant's documents, by name
        r = c.get("/v1/documents", headers=auth(keys["b_admin"]), params={"model": "acme"})
        assert [d["source"] for d in r.json()["data"]] == ["secret.md"]


def test_tenants_keep_their_knowledge_bases_in_their_own_chroma(chroma_settings, keys):
    settings = chroma_settings.model_copy(update={"min_dense_score": 0.0, "llm_backend": "extractive"})
    with TestClient(create_app(settings)) as c:
        assert upload(c, keys["a_admin"], "secret.md", SECRET).status_code == 201
        assert upload(c, keys["b_admin"], "beta.md", OTHER).status_code == 201
        r = c.post("/v1/search", headers=auth(keys["b_user"]), json={"query": "QX7731 设备联网暗号", "k": 50})
        assert r.status_code == 200 and "QX7731" not in r.text and "beta.md" in r.text
        assert (settings.data_dir / "tenants" / "acme" / "chroma").is_dir()
        assert (settings.data_dir / "tenants" / "beta" / "chroma").is_dir()


# --- the CLI ------------------------------------------------------------------------------------


def test_keys_cli_creates_lists_and_revokes(settings, capsys, monkeypatch):
    from sme_ai.cli import main

    monkeypatch.setenv("SME_AI_DATA_DIR", str(settings.data_dir))
    assert main(["keys", "create", "--tenant", "gamma", "--admin", "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["key"].startswith("sme-" + created["id"]) and created["admin"] is True
    assert main(["keys", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [k["id"] for k in listed] == [created["id"]] and "key" not in listed[0] and "sha256" not in listed[0]
    assert main(["keys", "revoke", created["id"]]) == 0
    assert KeyStore(settings.data_dir / "api_keys.json").verify(created["key"]) is None
    assert main(["keys", "revoke", "nothere"]) == 2
    assert main(["keys", "create", "--tenant", "../etc"]) == 2
    assert "Invalid tenant name" in capsys.readouterr().err


def test_import_stays_cheap_and_the_public_names_resolve():
    """`import sme_ai` (and the CLI with its new commands, and the API package) imports no heavy dependency."""
    import subprocess
    import sys

    code = ("import sys, sme_ai, sme_ai.cli, sme_ai.api, sme_ai.api.keys; sme_ai.cli.build_parser(); "
            "[getattr(sme_ai, n) for n in sme_ai.__all__]; "
            "print(','.join(m for m in ('torch', 'chromadb', 'gradio', 'llama_cpp', 'fastapi', 'uvicorn', "
            "'langchain_core', 'openai') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
    import sme_ai

    assert all(f"`{name}" in sme_ai.__doc__ for name in sme_ai.__all__ if name != "__version__")  # each documented
    assert set(sme_ai.__all__) >= {"Assistant", "Settings", "Answer", "Citation", "Hit", "SmeAiError", "Final"}


def test_the_api_extras_are_pinned_like_the_constraints():
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    pins = dict(line.lower().split("==") for line in (ROOT / "constraints.txt").read_text().split() if "==" in line)
    wanted = {"api": {"fastapi", "uvicorn", "python-multipart"}, "langchain": {"langchain-core"},
              "test": {"openai", "schemathesis", "langchain-tests"}}
    for extra, names in wanted.items():
        given = dict(req.lower().split("==") for req in extras[extra])
        assert names <= set(given), extra
        assert all(given[n] == pins[n] for n in names), (extra, given)


def test_on_a_shared_chroma_server_every_knowledge_base_has_collections_of_its_own(settings, tmp_path):
    from sme_ai.assistant import collection_prefix

    a = settings.model_copy(update={"vector_store": "chroma-http", "data_dir": tmp_path / "tenants" / "a"})
    b = a.model_copy(update={"data_dir": tmp_path / "tenants" / "b"})
    assert collection_prefix(a) != collection_prefix(b)  # tenants never share a collection
    same = a.model_copy(update={"data_dir": tmp_path / "tenants" / ".." / "tenants" / "a"})
    assert collection_prefix(a) == collection_prefix(same)  # one folder, one name, however it is spelled
    fixed = a.model_copy(update={"chroma_collection_prefix": "shared-kb"})
    assert collection_prefix(fixed) == "shared-kb"  # workers that mount the folder at different paths set one


def test_concurrent_requests_of_two_tenants_while_one_uploads_stay_apart(settings, keys):
    from concurrent.futures import ThreadPoolExecutor

    with TestClient(create_app(settings)) as c:
        upload(c, keys["a_admin"], "secret.md", SECRET)
        upload(c, keys["b_admin"], "beta.md", OTHER)

        def ask_as_b(i):
            if i % 5 == 0:
                return upload(c, keys["a_admin"], f"more{i}.md", f"# 追加{i}\n澄星机械的第{i}份资料：QX7731。").text
            r = chat(c, keys["b_user"], f"澄星机械的设备联网暗号是什么？第{i}问", stream=i % 2 == 0)
            assert r.status_code == 200
            return r.text

        with ThreadPoolExecutor(max_workers=6) as pool:
            texts = list(pool.map(ask_as_b, range(20)))
        answers = [t for i, t in enumerate(texts) if i % 5]
        assert len(answers) == 16 and not [t for t in answers if "QX7731" in t or "secret.md" in t]
        docs = c.get("/v1/documents", headers=auth(keys["a_user"])).json()["data"]
        assert len(docs) == 5  # secret.md and the four uploaded meanwhile
