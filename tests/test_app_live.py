"""The real app in a child process on a free loopback port, driven with gradio_client: the live tier.

The first group runs without model files (hash embedder, extractive answers); the test at the end is also in the
model tier: it uses the real embedder and the small Qwen 0.5B generator.
"""

import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.live  # every test here starts the app in a child process (AppProcess)

pytest.importorskip("gradio_client")

from app_fixtures import XSS, base_env, ingest, make_corpus, running_app, text_of  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402

from sme_ai.testing.app_process import AppProcess  # noqa: E402


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    yield from running_app(tmp_path_factory.mktemp("live"))


def client(app) -> Client:
    return Client(app.url, verbose=False, analytics_enabled=False)


def final_answer(result) -> tuple[list[dict], str, str]:
    messages, evidence, status, _question = result
    return messages, evidence, status


def test_ask_returns_an_answer_with_citations_and_evidence(app):
    job = client(app).submit("到2027年中小企业上云率的目标是多少？", api_name="/ask")
    outputs = [o for o in job]  # every streamed update
    messages, evidence, status = final_answer(job.result())
    answer = text_of(messages[-1])
    assert "40%" in answer and "<sup>[1]</sup>" in answer and "<details>" in answer and "来源：plan.md" in answer
    assert "检索到的资料" in evidence and "40%" in evidence and "✅" in status
    # the evidence panel was filled while the answer was not final yet
    assert any("40%" in o[1] and "<details>" not in text_of(o[0][-1]) for o in outputs)


def test_a_repeated_question_from_another_user_comes_from_the_cache(app):
    client(app).predict("中小企业数字化水平分为几个等级？", api_name="/ask")
    messages, _evidence, status = final_answer(client(app).predict("中小企业数字化水平分为几个等级", api_name="/ask"))
    assert "⚡" in status and "<details>" in text_of(messages[-1])  # ⚡: served from the answer cache


def test_the_load_benchmarks_own_client_reads_answers_cache_hits_and_the_first_useful_screen(app):
    """evals/bench_load.py speaks the page's queue protocol itself (join, the session's event stream, Gradio's output
    diffs): against the real app its records must show the answer, the first cited screen before the end, a cache
    hit for a repeat and an error for nothing, or its numbers mean nothing."""
    import asyncio
    import time
    import uuid

    import httpx

    from evals.bench_load import ask_endpoint, ask_over_http

    async def two_questions():
        base, fn = app.url.rstrip("/") + "/gradio_api", ask_endpoint(app.url)
        async with httpx.AsyncClient(timeout=60) as http:
            session = uuid.uuid4().hex  # one page asking twice
            first = await ask_over_http(http, base, fn, session, "企业每年要组织几次数字化技能培训？", time.perf_counter())
            again = await ask_over_http(http, base, fn, session, "请问企业每年要组织几次数字化技能培训", time.perf_counter())
        return first, again

    first, again = asyncio.run(two_questions())
    assert not first.error and not first.cached and first.first_useful is not None
    assert 0 < first.first_useful <= first.latency
    assert again.cached and not again.error and again.first_useful is not None  # the courtesy-stripped repeat


def test_script_in_a_question_or_a_title_is_escaped(app):
    messages, evidence, _status = final_answer(client(app).predict(f"上云率目标{XSS}", api_name="/ask"))
    everything = "".join(text_of(m) for m in messages) + evidence
    assert "<img" not in everything and "&lt;img" in everything


def test_upload_a_file_then_ask_about_it(app, tmp_path):
    good = tmp_path / "设备联网指南.md"
    good.write_text("# 设备联网\n\n## 要点\n设备联网应先完成数控设备的数据采集，联网率目标为百分之六十。\n", encoding="utf-8")
    bad = tmp_path / "virus.exe"
    bad.write_bytes(b"MZ\x00\x00")
    c = client(app)
    report, table, _choices, _notice = c.predict([handle_file(str(good)), handle_file(str(bad))], "", api_name="/upload")
    assert "成功 1 个，失败 1 个" in report and "不支持的文件类型" in report
    assert "设备联网指南\\.md：新增" in report and "/tmp" not in report
    assert any(row[1] == "设备联网指南.md" for row in table["data"])
    messages, evidence, _status = final_answer(c.predict("设备联网应先完成什么？", api_name="/ask"))
    assert "设备联网指南.md" in evidence and "数据采集" in text_of(messages[-1])


def test_concurrent_users_never_see_each_other(app):
    questions = {
        "a": ["中小企业上云率目标是多少？", "那数控化率呢？"],
        "b": ["数字化水平评测从哪些维度开展？", "一共几个等级？"],
        "c": ["重要数据多久备份一次？", "还要开展什么演练？"],
        "d": ["数字化技能培训每年几次？", "覆盖哪些人员？"],
    }
    results, errors = {}, []
    start = threading.Barrier(len(questions))

    def user(name):
        try:
            c = client(app)
            start.wait(30)
            for q in questions[name]:
                out = c.predict(q, api_name="/ask")
            results[name] = out
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append((name, repr(e)))

    threads = [threading.Thread(target=user, args=(n,)) for n in questions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert not errors and len(results) == len(questions), errors
    for name, (messages, _evidence, status, _q) in results.items():
        users = [text_of(m) for m in messages if m["role"] == "user"]
        assert users == questions[name], (name, users)  # exactly this user's questions, in order
        others = [q for n, qs in questions.items() if n != name for q in qs]
        shown = "".join(text_of(m) for m in messages)
        assert not any(q in shown for q in others), name
        assert "❌" not in status


def test_documents_and_admin_free_remove(app, tmp_path):
    c = client(app)
    f = tmp_path / "temp-note.txt"
    f.write_text("临时资料：这是一份将被删除的资料。", encoding="utf-8")
    c.predict([handle_file(str(f))], "", api_name="/upload")
    report, table, _choices, _notice = c.predict("temp-note.txt", "", api_name="/remove")
    assert "已删除" in report and not any(row[1] == "temp-note.txt" for row in table["data"])


def test_trainer_batch_and_question_statistics(app, tmp_path):
    c = client(app)
    questions = tmp_path / "questions.csv"
    questions.write_text("问题\n中小企业上云率目标是多少？\n重要数据多久备份一次？\n", encoding="utf-8")
    report, out = c.predict(handle_file(str(questions)), "csv", api_name="/batch")
    assert "已回答 2 题" in report and out.endswith(".csv")
    text = Path(out).read_text(encoding="utf-8-sig")
    assert "40%" in text and "每天" in text and "[1]" in text
    top, refused, note = c.predict("", api_name="/stats")
    assert note == "" and top["data"] and any("上云率" in row[0] for row in top["data"])
    exported, note = c.predict("", "jsonl", api_name="/export_stats")
    assert Path(exported).suffix == ".jsonl" and "question" in Path(exported).read_text(encoding="utf-8")


def test_draft_a_plan(app):
    from sme_ai.app.planning import EXAMPLE_PROFILE, PROFILE_FIELDS

    job = client(app).submit(*[EXAMPLE_PROFILE[k] for k in PROFILE_FIELDS], False, api_name="/plan")
    progress = [o[0] for o in job]
    status, markdown, files = job.result()
    assert any("正在撰写第 1/" in p for p in progress), progress
    assert "✅" in status and "## 1. 企业现状与诊断" in markdown and "示例机械加工厂" in markdown
    assert sorted(Path(f).suffix for f in files) == [".docx", ".md"]
    assert all(Path(f).stat().st_size > 500 for f in files)


@pytest.mark.model
def test_real_models_answer_through_the_app(tmp_path):
    from conftest import require_model

    require_model("embeddinggemma-300m")
    require_model("qwen2.5-coder-0.5b")
    env = base_env(tmp_path / "kb", real_models=True, SME_AI_LLM_MODEL="qwen2.5-coder-0.5b")
    ingest(make_corpus(tmp_path / "docs"), env)
    with AppProcess(env, log_path=tmp_path / "server.log", startup_s=300) as server:
        messages, evidence, status, _ = Client(server.url, verbose=False, analytics_enabled=False).predict(
            "到2027年中小企业上云率的目标是多少？", api_name="/ask")
    answer = text_of(messages[-1])
    assert "40%" in evidence and "❌" not in status, (status, answer)
    # the 0.5B model sometimes refuses under the strict prompt (see shared/models.md); both are complete answers
    assert ("✅" in status and "<details>" in answer) or ("⚠️" in status and "资料中未找到可靠答案" in answer), answer
