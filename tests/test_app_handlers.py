"""The app's handlers as plain functions, on fakes (hash embedder, in-memory store, scripted LLM): no server."""

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sme_ai.app import chat, knowledge, render, training
from sme_ai.app.answering import answer_events, answer_once
from sme_ai.cache import AnswerCache, cache_key
from sme_ai.app.context import build_app_context
from sme_ai.app.gate import GenerationCancelled, GenerationGate, GenerationWaitTimeout, Ticket
from sme_ai.app.pump import Waiting, pump
from sme_ai.app.session import Session
from sme_ai.app.uploads import UploadRejectedError, safe_name
from sme_ai.generate.llm import FakeLLM

XSS = "<img src=x onerror=alert(1)>"
DOC = f"""---
title: 行动方案要点{XSS}
doc_type: policy
---
## 目标
到2027年，中小企业上云率超过40%。规上工业中小企业关键工序数控化率达到75%。
## 试点
数字化转型城市试点支持中小企业开展数字化改造。
"""
REPLY = "到2027年中小企业上云率超过40%[1]。"


@pytest.fixture
def docs(tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    (d / "plan.md").write_text(DOC, encoding="utf-8")
    return d


def make_ctx(fake_settings, docs, reply=REPLY, **app):
    settings = fake_settings.model_copy(update={"min_dense_score": 0.2, "app_dir": fake_settings.data_dir / "app",
                                                **app})
    llm = FakeLLM(reply)
    ctx = build_app_context(settings, llm=llm)
    ctx.asst.ingest([docs])
    return ctx, llm


@pytest.fixture
def ctx(fake_settings, docs):
    return make_ctx(fake_settings, docs)[0]


def shown(view) -> str:
    return "\n".join(m["content"] for m in view.messages) + view.evidence + view.status


# --- chat ---------------------------------------------------------------------------------------


def test_evidence_is_shown_before_the_answer_streams(ctx):
    views = list(chat.ask(ctx, None, "中小企业上云率目标是多少？"))
    first_evidence = next(i for i, v in enumerate(views) if "40%" in v.evidence)
    first_text = next(i for i, v in enumerate(views) if "▌" in v.messages[-1]["content"])
    assert first_evidence < first_text
    final = views[-1]
    answer = final.messages[-1]["content"]
    assert final.messages[0] == {"role": "user", "content": "中小企业上云率目标是多少？"}
    assert "40%" in answer and "<sup>[1]</sup>" in answer and "▌" not in answer
    assert "<details><summary><b>[1]</b>" in answer and "来源：plan.md" in answer and "目标" in answer
    assert "✅" in final.status and len(final.session.turns) == 1


def test_the_quoted_draft_is_on_screen_before_the_model_writes_and_is_replaced_by_the_answer(ctx):
    from sme_ai.app.render import DRAFT_HEAD, WRITING_HEAD

    views = list(chat.ask(ctx, None, "中小企业上云率目标是多少？"))
    bubbles = [v.messages[-1]["content"] for v in views]
    first_draft = next(i for i, b in enumerate(bubbles) if DRAFT_HEAD in b)
    first_text = next(i for i, b in enumerate(bubbles) if "▌" in b)
    assert first_draft < first_text and "<sup>[1]</sup>" in bubbles[first_draft]
    assert WRITING_HEAD in bubbles[first_text] and DRAFT_HEAD in bubbles[first_text]  # the owner sees which is which
    assert DRAFT_HEAD not in bubbles[-1] and "40%" in bubbles[-1]  # the verified answer replaces both


def test_repeated_question_is_answered_from_the_cache_with_citations(fake_settings, docs):
    ctx, llm = make_ctx(fake_settings, docs)
    list(chat.ask(ctx, None, "中小企业上云率目标是多少？"))
    calls = len(llm.calls)
    # another session, other punctuation, traditional characters, full-width digits: the same question
    views = list(chat.ask(ctx, Session(), "  中小企業上雲率目標是多少?"))
    assert len(llm.calls) == calls
    final = views[-1]
    assert "⚡" in final.status and "来自缓存" in final.messages[-1]["content"]
    assert "<details>" in final.messages[-1]["content"] and "40%" in final.evidence
    assert cache_key("中小企業上雲率目標是多少?", 3) == cache_key("中小企业上云率目标是多少？", 3)
    # courtesy around the question is the same question, found before retrieval; the words asked are not courtesy
    same = {cache_key(q, 3) for q in ("请问中小企业上云率目标是多少？", "老师，中小企业上云率目标是多少？谢谢",
                                      "中小企业上云率目标是多少？请介绍一下。", "中小企业上云率目标是多少")}
    assert len(same) == 1 and cache_key("请问数控化率目标是多少", 3) not in same
    assert cache_key("你好", 3) != cache_key("谢谢", 3)  # nothing but courtesy stays itself


def test_short_questions_in_a_conversation_use_the_cache_but_follow_ups_never(fake_settings, docs):
    ctx, llm = make_ctx(fake_settings, docs)
    list(chat.ask(ctx, None, "上云率目标是多少"))  # standalone: cached
    session = list(chat.ask(ctx, None, "关键工序数控化率目标是多少？"))[-1].session
    calls = len(llm.calls)
    short = list(chat.ask(ctx, session, "上云率目标是多少"))[-1]  # short, in a conversation, no follow-up word
    assert "⚡" in short.status and len(llm.calls) == calls
    follow = list(chat.ask(ctx, session, "那上云率呢？"))[-1]  # a real follow-up: rewritten, generated, not stored
    assert "⚡" not in follow.status and len(llm.calls) > calls
    assert ctx.cache.get(cache_key("那上云率呢？", ctx.asst.kb.version)) is None


def test_a_near_duplicate_is_served_from_the_cache_after_retrieval_but_a_different_year_is_not(fake_settings, docs):
    ctx, llm = make_ctx(fake_settings, docs)
    list(chat.ask(ctx, None, "中小企业上云率目标是多少？"))
    calls = len(llm.calls)
    near = list(chat.ask(ctx, Session(), "2027年中小企业上云率要达到多少"))  # same evidence, 2027 in the answer
    assert "⚡" in near[-1].status and len(llm.calls) == calls and "40%" in near[-1].evidence
    assert ctx.cache.similar_hits == 1
    logged = [json.loads(line) for line in ctx.log.questions_path.read_text(encoding="utf-8").splitlines()]
    assert logged[-1]["question"] == "2027年中小企业上云率要达到多少" and logged[-1]["cached"] is True
    again = list(chat.ask(ctx, Session(), "2027年中小企业上云率要达到多少"))  # now by its exact key as well
    assert "⚡" in again[-1].status and ctx.cache.similar_hits == 1
    other = list(chat.ask(ctx, Session(), "2026年中小企业上云率要达到多少"))  # 2026: never the 2027 answer
    assert "⚡" not in other[-1].status and ctx.cache.similar_hits == 1


def test_knowledge_base_change_invalidates_the_cache(fake_settings, docs, tmp_path):
    ctx, llm = make_ctx(fake_settings, docs)
    list(chat.ask(ctx, None, "上云率目标是多少"))
    extra = tmp_path / "more.md"
    extra.write_text("# 补充\n\n数字化转型需要企业负责人牵头推进。", encoding="utf-8")
    knowledge.upload(ctx, [extra])
    calls = len(llm.calls)
    views = list(chat.ask(ctx, None, "上云率目标是多少"))
    assert len(llm.calls) > calls and "⚡" not in views[-1].status


def test_refusal_looks_different(fake_settings, docs):
    ctx, _ = make_ctx(fake_settings, docs, reply="资料中未提及。")
    final = list(chat.ask(ctx, None, "上云率目标是多少"))[-1]
    content = final.messages[-1]["content"]
    assert content.startswith("⚠️ **资料中未找到可靠答案**") and "\n> " in content and "<details>" not in content
    assert "⚠️" in final.status


def test_nothing_from_a_document_or_a_question_can_become_html(ctx):
    views = list(chat.ask(ctx, None, f"上云率目标是多少{XSS}"))
    for v in views:
        assert "<img" not in shown(v)
    final = views[-1]
    assert "&lt;img src=x onerror=alert" in final.evidence and "&lt;img" in final.messages[0]["content"]
    md = render.esc_md("[点我](javascript:alert(1)) **粗** `x`")
    assert re.search(r"(?<!\\)[\[\]()*`]", md) is None  # every Markdown character is escaped


def test_a_final_answer_that_is_the_quotation_says_so():
    from sme_ai.types import Answer

    quoted = Answer(question="q", text="上云率超过40%[1]。", model="m", meta={"fallback": "extractive:lost_facts"})
    written = Answer(question="q", text="上云率超过40%[1]。", model="m")
    assert render.QUOTED_NOTE in render.answer_markdown(quoted)
    assert render.QUOTED_NOTE not in render.answer_markdown(written)
    assert render.QUOTED_NOTE not in render.draft_markdown(Answer(question="q", text="x[1]。", meta={"draft": True}))


def test_sessions_do_not_share_history(fake_settings, docs):
    def reply(messages):
        return "数控化率达到75%[1]。" if "数控" in messages[-1]["content"] else REPLY

    ctx, _ = make_ctx(fake_settings, docs, reply=reply)
    a = list(chat.ask(ctx, None, "中小企业上云率目标是多少？"))[-1].session
    b = list(chat.ask(ctx, None, "关键工序数控化率目标是多少？"))[-1].session
    assert a.id != b.id
    assert [t.question for t in a.turns] == ["中小企业上云率目标是多少？"]
    assert [t.question for t in b.turns] == ["关键工序数控化率目标是多少？"]
    follow = list(chat.ask(ctx, a, "那数控化率呢？"))
    assert "上云率" in follow[1].evidence or "中小企业上云率" in "".join(v.evidence for v in follow)
    assert len(a.turns) == 2 and len(b.turns) == 1


def test_bad_questions_give_a_message_not_a_traceback(ctx):
    final = list(chat.ask(ctx, None, "   "))[-1]
    assert "❌" in final.status and "问题为空" in final.status
    final = list(chat.ask(ctx, None, "数" * 5000))[-1]
    assert "过长" in final.status


def test_feedback_is_stored(ctx):
    session = list(chat.ask(ctx, None, "上云率目标是多少"))[-1].session
    assert "已记录" in chat.feedback(ctx, session, 1, True)
    assert "只能" in chat.feedback(ctx, session, 9, False)
    records = ctx.log.feedbacks()
    assert records[-1]["value"] == "up" and records[-1]["question"] == "上云率目标是多少"
    assert session.turns[0].feedback == "up"


def test_question_log_and_trainer_stats(fake_settings, docs):
    ctx, _ = make_ctx(fake_settings, docs, reply=lambda m: "资料中未提及。" if "红烧肉" in m[-1]["content"] else REPLY)
    for q in ["上云率目标是多少", "上云率目标是多少？", "红烧肉怎么做", "上云率目标是哪天公布的"]:
        list(chat.ask(ctx, None, q))
    top, refused = training.stats(ctx)
    assert top[0][0] == "上云率目标是多少" and top[0][1] == 2
    # a refusal, and an answer that says the date asked for is not in the documents: both are knowledge gaps
    assert sorted(r[0] for r in refused) == ["上云率目标是哪天公布的", "红烧肉怎么做"]
    log = [json.loads(line) for line in ctx.log.questions_path.read_text(encoding="utf-8").splitlines()]
    assert [r["cached"] for r in log] == [False, True, False, False] and all("session" in r for r in log)
    assert [r["gap"] for r in log] == [[], [], [], ["date"]]


# --- cache, gate, pump --------------------------------------------------------------------------


def test_concurrent_identical_questions_generate_once(fake_settings, docs):
    release = threading.Event()

    def slow(messages):
        release.wait(5)
        return REPLY

    ctx, llm = make_ctx(fake_settings, docs, reply=slow)
    results = []
    threads = [threading.Thread(target=lambda: results.append(answer_once(ctx, "上云率目标是多少"))) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    release.set()
    for t in threads:
        t.join(10)
    assert len(results) == 4 and len(llm.calls) == 1
    assert sorted(hit for _, hit in results) == [False, True, True, True]


def test_those_asking_the_same_question_see_its_evidence_and_quoted_draft_before_the_model_answers(fake_settings,
                                                                                                    docs):
    from sme_ai.app.render import DRAFT_HEAD

    release, answered = threading.Event(), threading.Event()
    ctx, llm = make_ctx(fake_settings, docs, reply=lambda m: (release.wait(10), answered.set(), REPLY)[2])
    leader = threading.Thread(target=lambda: list(chat.ask(ctx, None, "上云率目标是多少")))
    leader.start()
    deadline = time.monotonic() + 5
    while not llm.calls and time.monotonic() < deadline:  # the leader is at the model
        time.sleep(0.02)
    views = chat.ask(ctx, Session(), "上云率目标是多少？")  # the same question from another trainee
    seen = []
    for view in views:
        seen.append(view)
        if DRAFT_HEAD in view.messages[-1]["content"]:
            break
    assert not answered.is_set() and DRAFT_HEAD in seen[-1].messages[-1]["content"]  # while the model still works
    assert "<sup>[1]</sup>" in seen[-1].messages[-1]["content"]
    assert "40%" in seen[-1].evidence and "同样的问题" in seen[0].status
    release.set()
    rest = list(views)
    leader.join(10)
    assert "⚡" in rest[-1].status and "40%" in rest[-1].messages[-1]["content"] and len(llm.calls) == 1


def test_a_joiner_takes_the_leaders_answer_even_an_uncached_quoted_one(fake_settings, docs):
    ctx, llm = make_ctx(fake_settings, docs, max_wait_s=0.5)
    results = []
    with ctx.gate.hold(Ticket()):  # busy: the leader's answer is the quoted one (not cached), after max_wait_s
        threads = [threading.Thread(target=lambda: results.append(answer_once(ctx, "上云率目标是多少")))
                   for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert len(results) == 3 and llm.calls == [] and ctx.cache.get(cache_key("上云率目标是多少", ctx.asst.kb.version)) is None
    assert all("40%" in a.text for a, _ in results) and sorted(hit for _, hit in results) == [False, True, True]


def test_a_joiner_answers_itself_when_the_leader_is_cancelled(fake_settings, docs):
    release = threading.Event()
    ctx, llm = make_ctx(fake_settings, docs, reply=lambda m: (release.wait(10), REPLY)[1])
    lead = answer_events(ctx, "上云率目标是多少")
    next(lead)  # the leader has its evidence; its asker goes away before the answer
    joined = []
    follower = threading.Thread(target=lambda: joined.append(answer_once(ctx, "上云率目标是多少")))
    follower.start()
    time.sleep(0.3)
    lead.close()  # cancelled: the follower must not wait for an answer that never comes
    release.set()
    follower.join(10)
    assert joined and "40%" in joined[0][0].text and joined[0][1] is False


def test_a_flight_shows_what_its_leader_shows_and_ends_with_its_answer_or_the_timeout():
    from sme_ai.cache import Flight

    flight = Flight()
    flight.show("evidence")
    assert list(flight.follow(0.1)) == ["evidence"] and not flight.done  # timed out, still in flight
    got = []
    t = threading.Thread(target=lambda: got.extend(flight.follow(5)))
    t.start()
    time.sleep(0.1)
    flight.show("draft")
    flight.finish(None)
    t.join(5)
    assert got == ["evidence", "draft"] and flight.done and flight.answer is None


def test_warm_up_takes_one_question_to_the_models_first_token_and_keeps_nothing(fake_settings, docs, monkeypatch):
    from sme_ai.app import context

    ctx, llm = make_ctx(fake_settings, docs)
    monkeypatch.setattr(context, "WARM_UP_QUESTION", "中小企业上云率目标是多少？")
    ctx.warm_up()
    assert len(llm.calls) == 1 and llm.calls[0][0]["role"] == "system"  # the fixed prefix is evaluated
    assert len(ctx.cache) == 0 and ctx.gate.waiting == 0 and not ctx.gate.busy
    assert not ctx.log.questions_path.exists() or not ctx.log.questions_path.read_text(encoding="utf-8").strip()


def test_gate_is_fifo_and_tells_each_waiter_its_position():
    gate = GenerationGate()
    first, second, third = Ticket(), Ticket(), Ticket()
    order, started = [], threading.Event()

    def run(ticket, name):
        with gate.hold(ticket):
            order.append(name)
            started.set()
            time.sleep(0.2)

    with gate.hold(first):
        threads = [threading.Thread(target=run, args=(second, "second"))]
        threads[0].start()
        time.sleep(0.1)
        threads.append(threading.Thread(target=run, args=(third, "third")))
        threads[1].start()
        time.sleep(0.1)
        assert gate.position(first) == 0 and gate.position(second) == 1 and gate.position(third) == 2
        assert gate.waiting == 2
    for t in threads:
        t.join(5)
    assert order == ["second", "third"] and gate.position(third) is None


def test_cancelled_waiter_leaves_the_line():
    gate = GenerationGate()
    waiter, errors = Ticket(), []

    def wait():
        try:
            with gate.hold(waiter):
                pass
        except GenerationCancelled as e:
            errors.append(e)

    with gate.hold(Ticket()):
        t = threading.Thread(target=wait)
        t.start()
        time.sleep(0.1)
        gate.cancel(waiter)
        t.join(3)
    assert errors and gate.waiting == 0


def test_a_waiter_leaves_the_line_after_max_wait():
    gate, errors = GenerationGate(max_wait_s=0.3), []

    def wait():
        try:
            with gate.hold(Ticket()):
                errors.append("got the model")
        except GenerationWaitTimeout as e:
            errors.append(e)

    with gate.hold(Ticket()):  # busy for longer than max_wait_s
        t = threading.Thread(target=wait)
        t.start()
        t.join(5)
        assert not t.is_alive() and gate.waiting == 0
    assert len(errors) == 1 and isinstance(errors[0], GenerationWaitTimeout) and "排队等待模型超过" in str(errors[0])


def test_a_request_that_waits_too_long_gets_the_extractive_answer_uncached(fake_settings, docs):
    ctx, llm = make_ctx(fake_settings, docs, max_wait_s=0.3)
    with ctx.gate.hold(Ticket()):  # the model stays busy: abandoned requests must not pile up behind it
        final = list(chat.ask(ctx, None, "上云率目标是多少"))[-1]
    assert ctx.gate.waiting == 0 and llm.calls == []
    assert "40%" in shown(final) and "❌" not in final.status  # the owner still gets a cited answer
    again = list(chat.ask(ctx, None, "上云率目标是多少"))[-1]  # the model is free now: not served from the cache
    assert len(llm.calls) == 1 and "⚡" not in again.status and "40%" in shown(again)


def test_pump_reports_the_queue_position_while_the_model_is_busy(fake_settings, docs):
    ctx, _ = make_ctx(fake_settings, docs)
    blocker = Ticket()
    events = []
    with ctx.gate.hold(blocker):
        it = pump(ctx.asst.stream("上云率目标是多少"), ctx.gate, tick=0.05)
        for e in it:
            events.append(e)
            if isinstance(e, Waiting):
                break
    rest = list(it)
    assert any(isinstance(e, Waiting) and e.ahead == 1 for e in events)
    assert type(rest[-1]).__name__ == "Final" and "40%" in rest[-1].answer.text


def test_chat_status_shows_the_queue_position(fake_settings, docs):
    ctx, _ = make_ctx(fake_settings, docs)
    with ctx.gate.hold(Ticket()):
        gen = chat.ask(ctx, None, "上云率目标是多少")
        for view in gen:
            if "排队" in view.status:
                assert "前面还有 1 个请求" in view.status
                break
    # the quoted draft (cited, from the documents) stays in the bubble while the request waits for the model
    assert render.DRAFT_HEAD in view.messages[-1]["content"] and "<sup>[1]</sup>" in view.messages[-1]["content"]
    assert "✅" in list(gen)[-1].status


def test_lru_cache_is_bounded():
    from sme_ai.types import Answer

    cache = AnswerCache(size=2)
    for i in range(3):
        cache.put(str(i), Answer(question=str(i), text="x"))
    assert len(cache) == 2 and cache.get("0") is None and cache.get("2") is not None
    cache.put("bad", Answer(question="q", text="x", meta={"fallback": "extractive:RuntimeError"}))
    assert cache.get("bad") is None


# --- knowledge base ------------------------------------------------------------------------------


@pytest.mark.parametrize("given, expected", [
    ("../../etc/passwd.md", "passwd.md"),
    ("C:\\Users\\王\\Desktop\\报告 2024.PDF", "报告_2024.pdf"),
    (f"{XSS}.md", "img_src_x_onerror_alert_1.md"),
    ("..", "file"),
    (".bashrc", "file.bashrc"),  # never a hidden file
    ("a\x00b\nc.txt", "abc.txt"),
])
def test_safe_name(given, expected):
    assert safe_name(given) == expected


def test_upload_stores_a_sanitised_copy_and_reports_each_file(ctx, tmp_path):
    good = tmp_path / "数字化 指南.md"
    good.write_text("# 指南\n\n企业应先梳理业务流程，再选择上云产品。", encoding="utf-8")
    bad_type = tmp_path / "tool.exe"
    bad_type.write_bytes(b"MZ....")
    fake_pdf = tmp_path / "fake.pdf"
    fake_pdf.write_text("not a pdf", encoding="utf-8")
    empty_md = tmp_path / "empty.md"
    empty_md.write_text("   \n", encoding="utf-8")
    report = knowledge.upload(ctx, [good, bad_type, fake_pdf, empty_md],
                              names=["../../数字化 指南.md", "tool.exe", "fake.pdf", "empty.md"])
    assert "成功 1 个，失败 3 个" in report
    assert "✅ 数字化\\_指南\\.md：新增" in report
    assert "tool\\.exe" in report and "不支持的文件类型" in report and "fake\\.pdf" in report
    assert "empty\\.md" in report and str(tmp_path) not in report and str(ctx.uploads_dir) not in report
    assert list(ctx.uploads_dir.rglob("*.md")) == []  # copies are deleted once ingested (issue 15)
    rows = knowledge.document_rows(ctx)
    assert any(r[1] == "数字化_指南.md" for r in rows) and rows[0][0].endswith(XSS)  # plain text cells


def test_upload_size_limit(fake_settings, docs, tmp_path):
    ctx, _ = make_ctx(fake_settings, docs, max_upload_mb=0.001)
    big = tmp_path / "big.txt"
    big.write_text("数字化" * 1000, encoding="utf-8")
    assert "文件过大" in knowledge.upload(ctx, [big])
    with pytest.raises(UploadRejectedError):
        from sme_ai.app.uploads import check_upload

        check_upload(big, "big.txt", allowed=(".txt",), max_bytes=10)


def test_remove_and_reindex(ctx):
    assert "已重建" in knowledge.reindex(ctx)
    assert "已删除：plan\\.md" in knowledge.remove(ctx, "plan.md")
    assert knowledge.document_rows(ctx) == []
    assert "知识库为空" in chat.kb_notice(ctx)


def test_admin_token_guards_knowledge_base_changes_and_the_log(fake_settings, docs, tmp_path):
    ctx, _ = make_ctx(fake_settings, docs, admin_token="s3cret")
    f = tmp_path / "x.md"
    f.write_text("# x\n\n内容。", encoding="utf-8")
    for call in (lambda t: knowledge.upload(ctx, [f], t), lambda t: knowledge.remove(ctx, "plan.md", t),
                 lambda t: knowledge.reindex(ctx, t), lambda t: training.stats(ctx, t)):
        with pytest.raises(knowledge.AdminTokenError):
            call("wrong")
        call("s3cret")


# --- trainer batch ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "jsonl"])
def test_batch_answers_a_question_list(ctx, tmp_path, fmt):
    qs = tmp_path / "questions.txt"
    qs.write_text("上云率目标是多少\n\n数控化率目标是多少\n", encoding="utf-8")
    session = Session()
    progress = []
    report, out = training.answer_list(ctx, session, qs, fmt, lambda f, d: progress.append(f))
    assert "已回答 2 题" in report and out.suffix == f".{fmt}" and session.workdir() in out.parents
    assert progress and out.stat().st_size > 0
    if fmt == "jsonl":
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert rows[0]["citations"] and "40%" in rows[0]["answer"]
    assert ctx.log.questions() == []  # a trainer's batch is not counted as trainee questions
    session.close()
    assert not out.exists()


def test_batch_rejects_a_wrong_list(ctx, tmp_path):
    bad = tmp_path / "q.pdf"
    bad.write_bytes(b"%PDF-1.4")
    report, out = training.answer_list(ctx, Session(), bad)
    assert out is None and "不支持的文件类型" in report and str(tmp_path) not in report


def test_export_guards_against_spreadsheet_formulas(fake_settings, docs):
    ctx, _ = make_ctx(fake_settings, docs)
    list(chat.ask(ctx, None, "=HYPERLINK(\"http://x\")上云率目标"))
    out = training.export_stats(ctx, Session(), fmt="csv")
    assert "'=HYPERLINK" in out.read_text(encoding="utf-8-sig")


# --- self-assessment and plan --------------------------------------------------------------------


def test_assessment_result_chart_and_carry_over(corpus_ctx):
    from sme_ai.app import planning

    q = corpus_ctx.asst.questionnaire()
    ids = [i.id for i in q.items]
    values = [None] * len(ids)
    values[ids.index("network")] = ["plant_control_network"]
    answers = planning.answers_from_form(ids, values, ["product_design", "marketing"], [2, None])
    assert answers == {"items": {"network": ["plant_control_network"]}, "scenarios": {"product_design": 2}}
    md, png, session = planning.assess(corpus_ctx, None, answers)
    assert "数字化水平自评结果" in md and "<" not in md.replace("&lt;", "")
    assert png.is_file() and png.stat().st_size > 1000 and session.workdir() in png.parents
    assert "已载入自评结果" in planning.assessment_summary(session)
    assert "尚未完成自评" in planning.assessment_summary(None)
    choices = planning.scenario_choices(q.scenarios[0])
    assert choices[0] == ("未达一级", 0) and len(choices) == 5


def test_plan_progress_then_rendered_plan_and_downloads(corpus_ctx):
    from sme_ai.app import planning

    profile = {**planning.EXAMPLE_PROFILE, "name": f"测试厂{XSS}"}
    views = list(planning.draft(corpus_ctx, None, [profile[k] for k in planning.PROFILE_FIELDS], True))
    progress = [v.progress for v in views[:-1]]
    assert any("第 1/" in p for p in progress) and any("参考依据" in p for p in progress)
    final = views[-1]
    assert "✅" in final.progress and "## 1. 企业现状与诊断" in final.plan
    assert "<img" not in final.plan and "&lt;img" in final.plan
    assert sorted(Path(f).suffix for f in final.files) == [".docx", ".md"]
    assert all(Path(f).is_file() for f in final.files)


def test_plan_with_missing_fields_names_them(corpus_ctx):
    from sme_ai.app import planning

    views = list(planning.draft(corpus_ctx, None, [""] * len(planning.PROFILE_FIELDS)))
    assert "❌" in views[-1].progress and "地区（region）" in views[-1].progress and "员工人数" in views[-1].progress


# --- wiring ---------------------------------------------------------------------------------------


def test_importing_the_package_or_the_app_handlers_does_not_import_gradio():
    code = ("import sys, sme_ai, sme_ai.app, sme_ai.app.chat, sme_ai.app.knowledge, sme_ai.app.training;"
            "bad = [m for m in ('gradio', 'torch', 'chromadb', 'llama_cpp') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert r.returncode == 0, r.stdout + r.stderr


def test_app_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SME_AI_PORT", "7999")
    monkeypatch.setenv("SME_AI_ADMIN_TOKEN", "tok")
    from sme_ai.config import Settings

    s = Settings()  # the one Settings carries the web app's fields too
    assert (s.host, s.port, s.admin_token, s.share) == ("127.0.0.1", 7999, "tok", False)
    assert s.app_folder == s.data_dir / "app" and s.max_upload_bytes == 20 * 1024 * 1024


def test_the_page_builds_with_named_endpoints_and_a_deliberate_queue(ctx):
    pytest.importorskip("gradio")
    from sme_ai.app.main import configure_queue
    from sme_ai.app.ui import build_app

    demo = build_app(ctx)
    configure_queue(demo, ctx.settings)
    fns = {f.api_name: f for f in demo.fns.values() if f.api_name}
    assert {"ask", "feedback", "upload", "remove", "reindex", "documents", "batch", "stats"} <= set(fns)
    assert fns["ask"].concurrency_limit == ctx.settings.chat_concurrency
    assert fns["upload"].concurrency_limit == 1 and fns["upload"].concurrency_id == fns["reindex"].concurrency_id
    config = json.dumps(demo.get_config_file(), ensure_ascii=False, default=str)
    assert "智能问答" in config and "知识库" in config and "培训模式" in config


def test_two_uploads_of_one_name_are_two_choices_and_removed_one_at_a_time(ctx, tmp_path):
    for i, text in enumerate(["甲市的通知内容。", "乙市的通知内容。"]):
        f = tmp_path / f"u{i}" / "通知.md"
        f.parent.mkdir()
        f.write_text(text, encoding="utf-8")
        knowledge.upload(ctx, [f], names=["通知.md"])
    choices = [c for c in knowledge.document_choices(ctx) if c[0].startswith("通知.md")]
    assert len(choices) == 2 and len({label for label, _ in choices}) == 2
    assert "已删除：通知\\.md" in knowledge.remove(ctx, choices[0][1])
    assert [c for c in knowledge.document_choices(ctx) if c[0].startswith("通知.md")] == [("通知.md", choices[1][1])]


def test_a_gate_with_slots_lets_that_many_generate_at_once_and_counts_the_rest_in_line():
    gate, a, b, c = GenerationGate(slots=2), Ticket(), Ticket(), Ticket()
    got, held = [], []
    with gate.hold(a), gate.hold(b):  # two slots: both generate; re-entry by a holder never takes a third slot
        with gate.hold(a):
            assert gate.position(a) == 0 and gate.busy
        t = threading.Thread(target=lambda: (held.append(gate.hold(c)), held[0].__enter__(), got.append("c")))
        t.start()
        time.sleep(0.1)
        assert got == [] and gate.position(c) == 2  # both generating requests are ahead of it
    t.join(3)
    assert got == ["c"] and gate.position(c) == 0 and not GenerationGate(slots=2).busy


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="per-thread nice is Linux's")
def test_the_in_process_model_generates_at_a_lower_priority_and_the_thread_gets_its_own_back():
    from sme_ai.app.gate import GatedLLM

    class Recording:
        name = "rec"

        def stream(self, messages, **kwargs):
            seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
            yield "x"

    seen, out = [], {}

    def request():  # a request thread, as the app's pump runs one per request
        base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        list(GatedLLM(lambda: Recording(), GenerationGate(), nice=5).stream([]))
        out.update(base=base, after=os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    t = threading.Thread(target=request)
    t.start()
    t.join(5)
    assert seen == [min(19, out["base"] + 5)]
    if os.geteuid() == 0:  # lowering niceness again needs the privilege
        assert out["after"] == out["base"]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == out["base"]  # other threads untouched
