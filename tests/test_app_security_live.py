"""Issue 15 against the real app in a child process (loopback, hash embedder, extractive answers): Gradio's own
routes, which the app's handlers never see. The handler-level half is test_app_security.py."""

import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.live  # every test here starts the app in a child process (AppProcess)

pytest.importorskip("gradio_client")

from app_fixtures import base_env, ingest, make_corpus, text_of  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402

from sme_ai.app.guard import TOKEN_HEADER  # noqa: E402
from sme_ai.testing.app_process import AppProcess  # noqa: E402

TOKEN = "live-s3cret"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("security-live")
    temp = root / "gradio-tmp"
    env = base_env(root / "kb", SME_AI_ADMIN_TOKEN=TOKEN, GRADIO_TEMP_DIR=str(temp))
    ingest(make_corpus(root / "docs"), env)
    with AppProcess(env, log_path=root / "server.log") as server:
        server.temp = temp
        server.uploads = root / "kb" / "app" / "uploads"
        yield server
    assert "Traceback" not in server.log_tail(100_000), server.log_tail()


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def post_json(url: str, data) -> tuple[int, str]:
    return post(url, json.dumps(data).encode(), {"Content-Type": "application/json"})


def post_file(url: str, name: str, content: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return post(url, body, {"Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})})


def files_named(folder: Path, name: str) -> list[Path]:
    return [p for p in folder.rglob(name) if p.is_file()] if folder.exists() else []


def test_the_direct_run_route_no_longer_answers(app):
    for name in ("ask", "clear", "feedback", "documents", "upload", "stats", "predict"):
        for prefix in ("gradio_api/run", "gradio_api/api"):
            for data in (["到2027年中小企业上云率的目标是多少？", None], ["到2027年中小企业上云率的目标是多少？"], []):
                status, text = post_json(f"{app.url}{prefix}/{name}", {"data": data})  # before: 200 and the answer
                assert status == 404 and "40%" not in text and "来源文件" not in text, (prefix, name, status, text[:200])
    c = Client(app.url, verbose=False, analytics_enabled=False)  # the queue still serves the page and the client
    messages, _evidence, status, _q = c.predict("到2027年中小企业上云率的目标是多少？", api_name="/ask")
    assert "40%" in text_of(messages[-1]) and "✅" in status
    assert c.predict(api_name="/clear")[0] == []
    _report, table, _choices, _notice = c.predict(api_name="/documents")
    assert table["data"]


def test_anonymous_uploads_are_refused_and_nothing_is_stored(app):
    name = f"anon-{uuid.uuid4().hex[:6]}.md"
    status, text = post_file(f"{app.url}gradio_api/upload", name, b"# x\n\nanonymous")
    assert status == 401 and "admin token" in text
    status, _ = post_file(f"{app.url}gradio_api/upload", name, b"# x", {TOKEN_HEADER: "wrong"})
    assert status == 401
    assert files_named(app.temp, name) == []
    status, text = post_file(f"{app.url}gradio_api/upload", name, b"# x\n\nwith token", {TOKEN_HEADER: TOKEN})
    assert status == 200 and name in text  # Gradio's own answer: the stored temp path


def test_a_token_holder_uploads_and_nothing_is_left_on_disk(app, tmp_path):
    name = f"设备联网-{uuid.uuid4().hex[:6]}.md"
    good = tmp_path / name
    good.write_text("# 设备联网\n\n## 要点\n设备联网应先完成数控设备的数据采集。\n", encoding="utf-8")
    c = Client(app.url, verbose=False, analytics_enabled=False, headers={TOKEN_HEADER: TOKEN})
    report, table, _choices, _notice = c.predict([handle_file(str(good))], TOKEN, api_name="/upload")
    assert "成功 1 个" in report and any(row[1] == name for row in table["data"])
    assert files_named(app.temp, name) == [] and files_named(app.uploads, name) == []


def test_an_upload_refused_for_a_wrong_token_leaves_nothing_on_disk(app, tmp_path):
    name = f"refused-{uuid.uuid4().hex[:6]}.md"
    f = tmp_path / name
    f.write_text("# 拒绝\n\n不应留下。\n", encoding="utf-8")
    c = Client(app.url, verbose=False, analytics_enabled=False, headers={TOKEN_HEADER: TOKEN})
    report, table, _choices, _notice = c.predict([handle_file(str(f))], "wrong", api_name="/upload")
    assert "管理员口令" in report and not any(row[1] == name for row in table["data"])
    assert files_named(app.temp, name) == [] and files_named(app.uploads, name) == []


def test_heavy_actions_need_the_token_and_feedback_does_not(app, tmp_path):
    from sme_ai.app.planning import EXAMPLE_PROFILE, PROFILE_FIELDS

    c = Client(app.url, verbose=False, analytics_enabled=False, headers={TOKEN_HEADER: TOKEN})
    progress, plan, _files = c.predict(*[EXAMPLE_PROFILE[k] for k in PROFILE_FIELDS], False, api_name="/plan")
    assert "❌" in progress and "管理员口令" in progress and not plan
    questions = tmp_path / "q.txt"
    questions.write_text("上云率目标是多少\n", encoding="utf-8")
    report, out = c.predict(handle_file(str(questions)), "csv", api_name="/batch")
    assert "管理员口令" in report and out is None
    report, out = c.predict(handle_file(str(questions)), "csv", TOKEN, api_name="/batch")
    assert "已回答 1 题" in report and out
    status = c.predict(1, True, api_name="/feedback")  # no token; nothing answered in this session yet
    assert "只能对已完成的回答评价" in status
