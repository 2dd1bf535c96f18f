"""Issue 15, the web app's half: nothing a visitor sends can stop the service, reach what is not theirs, or lose
data. Handler level, on fakes (hash embedder, in-memory store, scripted LLM): no server (the live half is
test_app_security_live.py)."""

import asyncio
import csv
import json
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from sme_ai.app import chat, knowledge, planning, render, training
from sme_ai.app.context import build_app_context
from sme_ai.app.gate import Ticket
from sme_ai.app.guard import AdminLockedError, AdminTokenError, HttpGuard, TokenGuard, callers
from sme_ai.app.logbook import Logbook
from sme_ai.app.session import Session
from sme_ai.app.uploads import discard_within
from sme_ai.batch import safe_cell, write_answers
from sme_ai.generate.llm import FakeLLM
from sme_ai.index.embedder import HashEmbedder

DOC = """---
title: 行动方案要点
doc_type: policy
---
## 目标
到2027年，中小企业上云率超过40%。规上工业中小企业关键工序数控化率达到75%。
"""
REPLY = "到2027年中小企业上云率超过40%[1]。"
EVIL_NAME = "[点我](http://evil.example) ![x](http://evil.example/a.png) <img src=x onerror=alert(1)>"
FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", " =1"]


@pytest.fixture
def docs(tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    (d / "plan.md").write_text(DOC, encoding="utf-8")
    return d


def make_ctx(fake_settings, docs=None, reply=REPLY, embedder=None, **app):
    settings = fake_settings.model_copy(update={"min_dense_score": 0.2, "app_dir": fake_settings.data_dir / "app",
                                                **app})
    ctx = build_app_context(settings, llm=FakeLLM(reply), embedder=embedder)
    if docs is not None:
        ctx.asst.ingest([docs])
    return ctx


def md_file(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


# --- 1, 2: Gradio's own routes --------------------------------------------------------------------


def test_every_event_is_queued_and_direct_runs_are_off(fake_settings, docs):
    pytest.importorskip("gradio")
    from sme_ai.app.main import configure_queue
    from sme_ai.app.ui import build_app

    ctx = make_ctx(fake_settings, docs, admin_token="s3cret")
    demo = build_app(ctx)
    configure_queue(demo, ctx.settings)
    assert demo.api_open is False  # Gradio's /run/<name> refuses every queued event
    backend = [f for f in demo.fns.values() if f.fn is not None]
    assert backend and [f.api_name or f.name for f in backend if not f.queue] == []  # so: every event


def asgi_call(app, method: str, path: str, headers=None):
    """One request through an ASGI app; (status, body)."""
    import httpx

    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            r = await client.request(method, path, headers=headers or {}, files={"files": ("a.md", b"# a")}
                                     if method == "POST" else None)
            return r.status_code, r.text

    return asyncio.run(go())


async def ok_app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def test_http_guard_closes_direct_runs_and_needs_the_token_for_uploads():
    pytest.importorskip("httpx")
    guard = HttpGuard(ok_app, token="s3cret", guard=TokenGuard(allowed=3))
    for path in ("/gradio_api/run/ask", "/gradio_api/run/predict/", "/gradio_api/api/clear", "/sub/gradio_api/run/x"):
        assert asgi_call(guard, "POST", path)[0] == 404
    assert asgi_call(guard, "POST", "/gradio_api/upload")[0] == 401  # anonymous
    assert asgi_call(guard, "POST", "/gradio_api/upload", {"x-sme-ai-token": "wrong"})[0] == 401
    assert asgi_call(guard, "POST", "/gradio_api/upload", {"x-sme-ai-token": "s3cret"}) == (200, "ok")
    assert asgi_call(guard, "POST", "/gradio_api/upload?upload_id=1", {"cookie": "a=1; sme_ai_token=s3cret"})[0] == 200
    assert asgi_call(guard, "POST", "/gradio_api/queue/join")[0] == 200  # the queue is the way in
    for _ in range(10):
        assert asgi_call(guard, "POST", "/gradio_api/upload")[0] == 401  # no token at all: refused, not counted
    assert asgi_call(guard, "POST", "/gradio_api/upload", {"x-sme-ai-token": "s3cret"})[0] == 200
    for _ in range(4):
        asgi_call(guard, "POST", "/gradio_api/upload", {"x-sme-ai-token": "wrong"})
    status, text = asgi_call(guard, "POST", "/gradio_api/upload", {"x-sme-ai-token": "s3cret"})
    assert status == 429 and "retry in" in text  # the address is locked out for a while, even with the token
    open_guard = HttpGuard(ok_app, token="")  # no token configured: uploads stay open, direct runs stay closed
    assert asgi_call(open_guard, "POST", "/gradio_api/upload")[0] == 200
    assert asgi_call(open_guard, "POST", "/gradio_api/run/ask")[0] == 404


def test_refused_temp_uploads_are_deleted_but_nothing_outside_the_upload_folder(tmp_path):
    root = tmp_path / "gradio"
    inside = md_file(root / "abc123", "x.md", "x")
    outside = md_file(tmp_path / "elsewhere", "y.md", "y")
    discard_within([str(inside), str(outside), str(root / ".." / "elsewhere" / "y.md")], root)
    assert not inside.exists() and not (root / "abc123").exists() and outside.exists()


def test_the_page_copies_the_token_into_a_same_site_cookie_for_uploads(fake_settings, docs):
    pytest.importorskip("gradio")
    from sme_ai.app.ui import build_app

    demo = build_app(make_ctx(fake_settings, docs, admin_token="s3cret"))
    js = [f.js for f in demo.fns.values() if f.fn is None and f.js]
    assert js and all("sme_ai_token=" in j and "SameSite=Strict" in j for j in js)
    assert len(js) >= 3  # 知识库, 培训模式 and 改造方案 each have a token box


# --- 3: wrong admin tokens ------------------------------------------------------------------------


def test_wrong_tokens_lock_the_session_out_for_longer_each_time(fake_settings, docs, tmp_path):
    ctx = make_ctx(fake_settings, docs, admin_token="s3cret")
    now = [1000.0]
    ctx.guard._clock = lambda: now[0]
    who = callers("sess1", "10.0.0.9")
    outcomes = []
    for _ in range(20):  # 20 wrong tokens at once
        try:
            training.stats(ctx, "wrong", caller=who)
        except AdminLockedError as e:
            outcomes.append(("locked", e.wait_s))
        except AdminTokenError:
            outcomes.append(("wrong", 0))
    assert [k for k, _ in outcomes[:4]] == ["wrong"] * 4 and {k for k, _ in outcomes[4:]} == {"locked"}
    with pytest.raises(AdminLockedError, match="秒后再试"):  # even the right token waits: guessing gains nothing
        training.stats(ctx, "s3cret", caller=who)
    with pytest.raises(AdminLockedError):  # another session from the same address is locked out too
        training.stats(ctx, "s3cret", caller=callers("sess2", "10.0.0.9"))
    training.stats(ctx, "s3cret", caller=callers("sess3", "10.0.0.10"))  # another user is not
    now[0] += 1.5  # past the first lockout (1 s): the token is compared again
    with pytest.raises(AdminTokenError) as e:
        training.stats(ctx, "wrong", caller=who)  # the 5th failure
    assert not isinstance(e.value, AdminLockedError)
    with pytest.raises(AdminLockedError) as e:
        training.stats(ctx, "s3cret", caller=who)
    assert e.value.wait_s > 1.9  # the lockout doubled (1 s, then 2 s)
    now[0] += 301
    training.stats(ctx, "s3cret", caller=who)  # the right token after the lockout: the count starts again
    for _ in range(3):
        with pytest.raises(AdminTokenError) as e:
            training.stats(ctx, "wrong", caller=who)
        assert not isinstance(e.value, AdminLockedError)


def test_lockout_is_capped_and_the_guard_forgets_old_callers():
    now = [0.0]
    g = TokenGuard(allowed=1, max_lockout_s=30, clock=lambda: now[0])
    for _ in range(40):
        with pytest.raises(AdminTokenError):
            g.check("tok", "bad", ["a"])
        now[0] += 31
    with pytest.raises(AdminTokenError):
        g.check("tok", "bad", ["a"])
    with pytest.raises(AdminLockedError) as e:
        g.check("tok", "tok", ["a"])
    assert e.value.wait_s <= 30
    g.check("", "anything", ["a"])  # no token configured: nothing to check


# --- 4, 5, 11: uploads ---------------------------------------------------------------------------


def test_stored_copies_are_deleted_once_their_ingest_is_over(fake_settings, docs, tmp_path):
    ctx = make_ctx(fake_settings, docs)
    good = md_file(tmp_path / "in", "指南.md", "# 指南\n\n企业应先梳理业务流程，再选择上云产品。")
    empty = md_file(tmp_path / "in", "empty.md", "   \n")  # stored, then refused by the ingest
    bad = tmp_path / "in" / "tool.exe"
    bad.write_bytes(b"MZ..")
    report = knowledge.upload(ctx, [good, empty, bad])
    assert "成功 1 个，失败 2 个" in report
    assert [p for p in ctx.uploads_dir.rglob("*") if p.is_file()] == []
    assert "已删除" in knowledge.remove(ctx, "指南.md")
    assert [p for p in ctx.uploads_dir.rglob("*") if p.is_file()] == []


def test_two_users_uploading_files_of_the_same_name_keep_both(fake_settings, docs, tmp_path):
    ctx = make_ctx(fake_settings, docs)
    a = md_file(tmp_path / "alice", "通知.md", "# 通知\n\n甲公司的设备联网率目标为百分之六十。")
    b = md_file(tmp_path / "bob", "通知.md", "# 通知\n\n乙公司的数据备份每天一次。")
    assert "新增" in knowledge.upload(ctx, [a])
    assert "新增" in knowledge.upload(ctx, [b])
    same = [d for d in ctx.asst.documents() if d["source"] == "通知.md"]
    assert len(same) == 2
    texts = " ".join(h.chunk.text for h in ctx.asst.search("设备联网率目标 数据备份", k=10))
    assert "百分之六十" in texts and "每天一次" in texts


class SlowEmbedder:
    """The hash embedder, slow for documents while `slow` is set (an ingest of a large file)."""

    def __init__(self, seconds: float):
        self.inner = HashEmbedder()
        self.name, self.dim = self.inner.name, self.inner.dim
        self.seconds = seconds
        self.slow = threading.Event()
        self.embedding = threading.Event()

    def embed(self, texts, kind):
        if kind == "document" and self.slow.is_set():
            self.embedding.set()
            time.sleep(self.seconds)
        return self.inner.embed(texts, kind)


def test_a_question_is_answered_while_a_large_upload_is_ingested(fake_settings, docs, tmp_path):
    embedder = SlowEmbedder(4.0)
    ctx = make_ctx(fake_settings, docs, embedder=embedder)
    big = md_file(tmp_path / "in", "大文件.md", "# 大文件\n\n" + "企业数字化改造需要统筹规划。" * 50)
    embedder.slow.set()
    reports = []
    upload = threading.Thread(target=lambda: reports.append(knowledge.upload(ctx, [big])))
    upload.start()
    assert embedder.embedding.wait(10)
    t0 = time.monotonic()
    views = list(chat.ask(ctx, None, "到2027年中小企业上云率的目标是多少？"))
    took = time.monotonic() - t0
    still_ingesting = upload.is_alive()
    upload.join(30)
    assert "40%" in views[-1].messages[-1]["content"]
    assert still_ingesting and took < 3.0, f"the question waited {took:.1f} s for the ingest"
    assert reports and "成功 1 个" in reports[0]


@pytest.mark.parametrize("where", ["load_file", "load_paths"])
def test_an_unexpected_parser_error_sinks_only_its_own_file(fake_settings, docs, tmp_path, monkeypatch, where):
    """`load_file`: the loader raises for one file; `load_paths`: the error escapes `Assistant.ingest` altogether
    (the app then ingests the batch file by file)."""
    import sme_ai.ingest.pipeline as pipeline

    real = getattr(pipeline, where)

    def flaky(paths, *args, **kwargs):
        names = [Path(paths).name] if where == "load_file" else [Path(p).name for p in paths]
        if "broken.md" in names:
            raise RuntimeError(f"parser bug in {paths}")
        return real(paths, *args, **kwargs)

    monkeypatch.setattr(pipeline, where, flaky)
    ctx = make_ctx(fake_settings, docs)
    good = md_file(tmp_path / "in", "good.md", "# 好\n\n企业每年组织两次数字化培训。")
    broken = md_file(tmp_path / "in", "broken.md", "# 坏\n\n内容。")
    also = md_file(tmp_path / "in", "also.md", "# 也好\n\n企业应建立数据备份制度。")
    report = knowledge.upload(ctx, [good, broken, also])
    assert "成功 2 个，失败 1 个" in report, report
    assert "✅ good\\.md：新增" in report and "✅ also\\.md：新增" in report
    assert "❌ broken\\.md" in report and "RuntimeError" in report
    assert "/tmp" not in report and "uploads" not in report and "Traceback" not in report  # no server path
    sources = {d["source"] for d in ctx.asst.documents()}
    assert {"good.md", "also.md"} <= sources and "broken.md" not in sources
    assert [p for p in ctx.uploads_dir.rglob("*") if p.is_file()] == []


# --- 6: spreadsheet exports ------------------------------------------------------------------------


def batch_records():
    evil = FORMULAS
    return [{"question": q, "answer": q, "refused": False, "model": evil[0], "error": evil[3],
             "citations": [{"n": 1, "title": "t", "section": "", "source": "=cmd|' /C calc'!A0", "page": None,
                            "quote": "q"}], "timings": {"total_ms": 12.5}} for q in evil]


def formula_like(value) -> bool:
    return isinstance(value, str) and value.lstrip(" ")[:1] in ("=", "+", "-", "@", "\t", "\r", "\n")


def test_batch_csv_export_neutralises_every_formula(tmp_path):
    out = tmp_path / "answers.csv"
    write_answers(out, batch_records())
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    cells = [c for row in rows[1:] for c in row]
    assert not [c for c in cells if formula_like(c)]
    assert rows[1][0] == "'" + FORMULAS[0] and rows[1][5] == "12.5"  # numbers stay numbers


def test_batch_xlsx_export_has_no_formula_cells(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "answers.xlsx"
    records = batch_records()
    records[0]["answer"] = "控制字符\x01\x02也不会让导出失败"
    write_answers(out, records)
    ws = load_workbook(out).active
    cells = [c for row in ws.iter_rows(min_row=2) for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f" or formula_like(c.value)]
    assert ws["A2"].value == "'" + FORMULAS[0] and ws["F2"].value == 12.5 and ws["B2"].value == "控制字符也不会让导出失败"


def test_safe_cell():
    assert safe_cell("＝1+1") == "'＝1+1" and safe_cell("普通文字") == "普通文字" and safe_cell(3) == 3
    assert safe_cell(None) is None and safe_cell(True) is True


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_question_statistics_exports_neutralise_every_formula(fake_settings, docs, fmt):
    ctx = make_ctx(fake_settings, docs)
    for q in ("+1+1 上云率目标", "-1 上云率目标", "@SUM(A1) 上云率目标", "=HYPERLINK(\"http://x\") 上云率"):
        list(chat.ask(ctx, None, q))
    out = training.export_stats(ctx, Session(), fmt=fmt)
    if fmt == "csv":
        with open(out, encoding="utf-8-sig", newline="") as f:
            cells = [c for row in list(csv.reader(f))[1:] for c in row]
    else:
        from openpyxl import load_workbook

        ws = load_workbook(out).active
        assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]
        cells = [c.value for row in ws.iter_rows(min_row=2) for c in row]
    questions = [c for c in cells if isinstance(c, str) and "上云率" in c]
    assert len(questions) == 4 and not [c for c in cells if formula_like(c)]


# --- 7: the plan and assessment views --------------------------------------------------------------


def rendered_html(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def test_defang_keeps_structure_but_no_link_image_html_or_autolink():
    text = (f"# 标题\n\n- 要点 **加粗** {EVIL_NAME}\n\n| 列 | 值 |\n|---|---|\n| a\\|b | x<br>y |\n\n"
            "[r]: http://evil.example\n\n见 [r] 与 <http://evil.example> www.evil.example 和 a@evil.example "
            "以及 \\[转义\\](http://evil.example)")
    html = rendered_html(render.defang_md(text))
    assert "<h1>" in html and "<strong>" in html and "<table>" in html and "<li>" in html
    assert "<a " not in html and "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    out = render.defang_md(text)
    assert "://" not in out.replace("\\://", "") and "www." not in out and "a@" not in out


@pytest.fixture
def plan_ctx(fake_settings):
    prose = f"建议先做设备联网[1]。{EVIL_NAME} 详见 www.evil.example 或 http://evil.example/x"
    settings = fake_settings.model_copy(update={"app_dir": fake_settings.data_dir / "app", "admin_token": "s3cret"})
    ctx = build_app_context(settings, llm=FakeLLM(prose))
    ctx.asst.ingest([Path(__file__).parents[1] / "corpora"])
    return ctx


def test_plan_view_renders_no_link_image_or_html_from_the_form_or_the_model(plan_ctx):
    profile = {**planning.EXAMPLE_PROFILE, "name": EVIL_NAME, "goals": f"目标 {EVIL_NAME}"}
    values = [profile[k] for k in planning.PROFILE_FIELDS]
    refused = list(planning.draft(plan_ctx, None, values, True))  # 10: heavy actions need the token
    assert len(refused) == 1 and "❌" in refused[0].progress and "管理员口令" in refused[0].progress
    final = list(planning.draft(plan_ctx, None, values, True, "s3cret"))[-1]
    assert "✅" in final.progress and "## 1." in final.plan
    html = rendered_html(final.plan)
    assert "<a " not in html and "<img" not in html
    assert "://" not in final.plan.replace("\\://", "") and "www." not in final.plan
    assert "点我" in html  # the text itself is still shown


def test_assessment_view_is_defanged_too(plan_ctx, monkeypatch):
    import sme_ai.assess.report as report

    monkeypatch.setattr(report, "render_markdown", lambda a: f"# 结果\n\n{EVIL_NAME}")
    md, _png, _s = planning.assess(plan_ctx, None, {"items": {}, "scenarios": {}})
    html = rendered_html(md)
    assert "<a " not in html and "<img" not in html and "# 结果" in md


# --- 8: lengths, the log and feedback ----------------------------------------------------------------


def test_a_question_over_the_limit_is_neither_kept_nor_echoed_whole(fake_settings, docs):
    ctx = make_ctx(fake_settings, docs)
    limit = ctx.settings.max_question_chars
    views = list(chat.ask(ctx, None, "问" * (limit + 100_000)))
    session, last = views[-1].session, views[-1]
    assert "问题过长" in last.status and "上限" in last.status
    assert len(session.turns[-1].question) <= chat.ECHO_CHARS + 40
    assert sum(len(m["content"]) for m in last.messages) < 2 * chat.ECHO_CHARS + 500
    assert ctx.log.questions() == []


def test_question_log_and_feedback_rotate_by_size(tmp_path):
    log = Logbook(tmp_path, max_bytes=4000)
    answer = SimpleNamespace(question="", refused=False, citations=[], meta={})
    for i in range(300):
        answer.question = f"第{i}个问题" + "长" * 50
        log.question("s", answer, cached=False, ms=1.0)
        log.feedback("s", answer.question, "答" * 5000, "down")
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["feedback.1.jsonl", "feedback.jsonl", "questions.1.jsonl", "questions.jsonl"]
    assert all(p.stat().st_size <= 4000 + 6000 for p in tmp_path.iterdir())
    kept = [r["question"] for r in log.questions()]
    assert kept[-1].startswith("第299个问题") and len(kept) < 300 and all(json.dumps(r) for r in log.feedbacks())
    assert all(len(r["answer"]) <= 2000 for r in log.feedbacks())
    assert log.frequent(5)[0]["count"] == 1


def test_feedback_needs_no_token_but_is_rate_limited_per_session(fake_settings, docs):
    ctx = make_ctx(fake_settings, docs, admin_token="s3cret", feedback_per_minute=5)
    views = list(chat.ask(ctx, None, "到2027年中小企业上云率的目标是多少？"))
    session = views[-1].session
    assert "谢谢" in chat.feedback(ctx, session, 1, True)  # a trainee, without the token
    assert "谢谢" in chat.feedback(ctx, session, 1, True)  # the same again: not stored twice
    answers = [chat.feedback(ctx, session, 1, i % 2 == 0) for i in range(30)]
    assert len(ctx.log.feedbacks()) == 5 and "反馈过于频繁" in answers[-1]
    session._times["feedback"] = [t - 61 for t in session._times["feedback"]]  # a minute later
    assert "谢谢" in chat.feedback(ctx, session, 1, session.turns[0].feedback != "up")


# --- 9: exposure without a token -------------------------------------------------------------------


@pytest.fixture
def no_launch(fake_settings, monkeypatch, tmp_path):
    """main() with the context and the launch replaced: nothing is built, loaded or served."""
    import sme_ai.app.context as context
    import sme_ai.app.main as main

    monkeypatch.setenv("SME_AI_DATA_DIR", str(tmp_path / "kb"))
    monkeypatch.setenv("SME_AI_CONFIG", str(tmp_path / "none.toml"))
    launched = []
    fake = SimpleNamespace(asst=SimpleNamespace(documents=lambda: [], kb=SimpleNamespace(version=0)),
                           warm_up=lambda: None)
    monkeypatch.setattr(context, "build_app_context", lambda settings: fake)
    monkeypatch.setattr(main, "launch", lambda ctx: launched.append(ctx))
    return main, launched


@pytest.mark.parametrize("argv", [["--host", "0.0.0.0"], ["--host", "192.168.1.20"], ["--share"],
                                  ["--host", "::"], ["--host", "example.internal"]])
def test_exposed_without_a_token_refuses_to_start(no_launch, capsys, argv):
    main, launched = no_launch
    assert main.main([*argv, "--no-warm-up"]) == 2
    err = capsys.readouterr().err
    assert "SME_AI_ADMIN_TOKEN" in err and "--insecure" in err and not launched


def test_exposed_with_insecure_starts_with_a_warning_and_loopback_needs_nothing(no_launch, capsys, monkeypatch):
    main, launched = no_launch
    assert main.main(["--host", "0.0.0.0", "--insecure", "--no-warm-up"]) == 0
    assert "警告" in capsys.readouterr().err and len(launched) == 1
    for argv in (["--host", "127.0.0.1"], ["--host", "localhost"], ["--host", "::1"]):
        assert main.main([*argv, "--no-warm-up"]) == 0
    assert "警告" not in capsys.readouterr().err
    monkeypatch.setenv("SME_AI_ADMIN_TOKEN", "s3cret")
    assert main.main(["--host", "0.0.0.0", "--no-warm-up"]) == 0 and len(launched) == 5


def test_the_warm_up_leaves_gradios_per_event_matplotlib_switch_nothing_to_import(tmp_path):
    """Gradio wraps every event in a matplotlib backend switch whose first use imported pyplot on the event loop
    (~1 s: the first question after start waited for it). After `main`'s warm-up step the switch imports nothing.
    A fresh interpreter: this test process may have imported matplotlib already."""
    import os
    import subprocess
    import sys

    pytest.importorskip("matplotlib")
    code = ("import sys\n"
            "from gradio.utils import MatplotlibBackendMananger\n"
            "from sme_ai.app.main import preload_event_imports\n"
            "assert 'matplotlib.pyplot' not in sys.modules, 'imported before the warm-up'\n"
            "preload_event_imports()\n"
            "before = set(sys.modules)\n"
            "with MatplotlibBackendMananger():\n"
            "    pass\n"
            "print(sorted(m for m in set(sys.modules) - before if m.startswith('matplotlib')))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "MPLCONFIGDIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_main_runs_the_event_import_preload_with_the_warm_up_only(no_launch, monkeypatch):
    main, launched = no_launch
    calls = []
    monkeypatch.setattr(main, "preload_event_imports", lambda: calls.append(1))
    assert main.main(["--no-warm-up"]) == 0 and calls == []
    assert main.main([]) == 0 and calls == [1] and len(launched) == 2


def test_main_keeps_gradios_queue_analytics_short_unless_the_environment_says_otherwise(no_launch, monkeypatch):
    """Gradio rebuilt a pandas summary of its last 10,000 events after every event (8 % of the server's CPU at 200
    trainees); main sets the knobs before the queue is made, and an operator's own values stand."""
    import gradio.queueing

    main, _ = no_launch
    for name in main.GRADIO_QUEUE_BOOKKEEPING:  # set first, so monkeypatch restores the original state afterwards
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("GRADIO_ANALYTICS_MAX_EVENTS", "42")
    assert main.main(["--no-warm-up"]) == 0
    q = gradio.queueing.Queue(live_updates=True, concurrency_count=1, update_intervals=1, max_size=None,
                              blocks=SimpleNamespace(fns={}), default_concurrency_limit=1)
    assert q.ANALYTICS_MAX_EVENTS == 42
    assert q.ANAYLTICS_CACHE_FREQUENCY == int(main.GRADIO_QUEUE_BOOKKEEPING["GRADIO_ANALYTICS_CACHE_FREQUENCY"]) > 1


# --- 10: heavy actions ---------------------------------------------------------------------------


def test_batches_need_the_token_when_one_is_configured(fake_settings, docs, tmp_path):
    qs = md_file(tmp_path / "in", "questions.txt", "上云率目标是多少\n")
    ctx = make_ctx(fake_settings, docs, admin_token="s3cret")
    with pytest.raises(AdminTokenError):
        training.answer_list(ctx, Session(), qs, "csv")
    report, out = training.answer_list(ctx, Session(), qs, "csv", None, "s3cret")
    assert "已回答 1 题" in report and out.is_file()
    opened = make_ctx(fake_settings, docs, admin_token="s3cret", heavy_actions_need_token=False)
    assert "已回答 1 题" in training.answer_list(opened, Session(), qs, "csv")[0]
    assert not make_ctx(fake_settings, docs).settings.heavy_actions_locked  # no token configured: open


def test_a_batch_shows_its_place_in_line_while_the_model_is_busy(fake_settings, docs, tmp_path):
    ctx = make_ctx(fake_settings, docs)
    qs = md_file(tmp_path / "in", "questions.txt", "到2027年中小企业上云率的目标是多少？\n")
    held, release = threading.Event(), threading.Event()

    def hold():
        with ctx.gate.hold(Ticket()):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(5)
    threading.Timer(2.5, release.set).start()
    progress = []
    report, _out = training.answer_list(ctx, Session(), qs, "jsonl", lambda f, d: progress.append(d))
    holder.join(5)
    assert "已回答 1 题" in report
    assert any("排队等待模型，前面还有 1 个请求" in d for d in progress), progress


def test_uploads_are_rate_limited_per_session(fake_settings, tmp_path):
    ctx = build_app_context(fake_settings.model_copy(update={"app_dir": fake_settings.data_dir / "app",
                                                             "uploads_per_minute": 3, "llm_backend": "extractive"}))
    files = []
    for i in range(4):
        f = tmp_path / f"u{i}" / f"文件{i}.md"
        f.parent.mkdir()
        f.write_text(f"第{i}份资料：设备联网。", encoding="utf-8")
        files.append(f)
    session = Session()
    assert "成功 2 个" in knowledge.upload(ctx, files[:2], session=session)
    refused = knowledge.upload(ctx, files[2:], session=session)  # 2 more would make 4 in a minute
    assert "上传过于频繁" in refused and len(ctx.asst.documents()) == 2
    assert "成功 1 个" in knowledge.upload(ctx, files[2:3], session=session)  # the third still fits
    assert "成功 1 个" in knowledge.upload(ctx, files[3:], session=Session())  # another session has its own allowance
