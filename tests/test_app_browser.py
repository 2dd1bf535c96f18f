"""A real browser on the real app: Debian's chromium, headless, driven by Playwright (which never downloads a browser).

The browser tier (`pytest -m browser`). `make browser` installs chromium and a CJK font; without /usr/bin/chromium
these tests skip and say so.

Screenshots go to $SME_AI_ARTIFACTS (default: <tmp>/artifacts); look at them.
"""

import os
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser  # also starts the app in a child process; the browser tier only

pytest.importorskip("playwright")

from app_fixtures import XSS, running_app  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("SME_AI_ARTIFACTS") or Path(tempfile.gettempdir()) / "artifacts")


def _chromium() -> Path:
    """Debian's chromium; installing it is the Makefile's work (`make browser`), never a test's."""
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM}: run `make browser` (apt-get install chromium "
                    "fonts-noto-cjk; needs root and the Debian mirror)")
    return CHROMIUM


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    _chromium()  # skip before starting the app for nothing
    yield from running_app(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def browser_page(app, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    exe = _chromium()
    profile = tmp_path_factory.mktemp("chromium-profile")  # empty --user-data-dir
    outside, dialogs = [], []
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(exe), headless=True, args=FLAGS,
            viewport={"width": 1400, "height": 1000}, locale="zh-CN")

        def route(r):  # loopback only: anything else is recorded and refused
            host = urlparse(r.request.url).hostname or ""
            if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(app.url, wait_until="domcontentloaded")
        page.locator("#question textarea").wait_for(timeout=60_000)
        yield page, outside, dialogs
        context.close()


def ask(page, question: str) -> None:
    page.locator("#question textarea").fill(question)
    page.locator("#send").click()


def test_ask_shows_evidence_and_an_answer_with_an_expandable_citation(browser_page):
    page, outside, dialogs = browser_page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ask(page, "到2027年中小企业上云率的目标是多少？")
    page.locator("#evidence").get_by_text("超过40%").first.wait_for(timeout=60_000)
    bot = page.locator("#chatbot")
    bot.locator("details summary").first.wait_for(timeout=60_000)
    answer = bot.locator(".message").last.inner_text()
    assert "40%" in answer and "[1]" in answer
    bot.locator("details summary").first.click()  # expand citation [1]
    quote = bot.locator("details[open] blockquote").first
    quote.wait_for(timeout=10_000)
    assert quote.inner_text().strip() and "来源：plan.md" in bot.locator("details[open]").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "app-chat.png"), full_page=True)
    assert "✅" in page.locator("#status").inner_text()
    assert not dialogs and not outside, (dialogs, outside)


def test_no_script_runs_from_a_question_or_a_document_title(browser_page):
    page, outside, dialogs = browser_page
    ask(page, f"上云率目标{XSS}")
    page.locator("#status").get_by_text("回答完成").or_(page.locator("#status").get_by_text("缓存")).or_(
        page.locator("#status").get_by_text("未找到")).first.wait_for(timeout=60_000)
    # the title with the <img> tag is in the evidence panel and the citations: shown as text, never as an element
    assert page.locator("#evidence").get_by_text("onerror=alert(1)").count() >= 1
    page.get_by_role("tab", name="知识库").click()
    table = page.locator("#kb-table")
    table.wait_for(timeout=20_000)
    page.wait_for_function("() => document.querySelector('#kb-table').innerText.includes('onerror=alert(1)')",
                           timeout=20_000)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "app-knowledge-base.png"), full_page=True)
    assert page.locator("img[src='x']").count() == 0
    assert not dialogs, dialogs
    assert not outside, outside
    page.get_by_role("tab", name="智能问答").click()


def test_a_refusal_looks_different_and_feedback_is_accepted(browser_page):
    page, outside, dialogs = browser_page
    page.locator("#clear").click()  # a new conversation: a short question is not taken as a follow-up
    page.wait_for_function("() => !document.querySelector('#chatbot .message')", timeout=10_000)
    ask(page, "红烧肉怎么做才好吃？")
    page.locator("#status").get_by_text("资料中没有找到可靠答案").wait_for(timeout=60_000)
    last = page.locator("#chatbot .message").last
    assert "资料中未找到可靠答案" in last.inner_text() and last.locator("blockquote").count() == 1
    page.screenshot(path=str(ARTIFACTS / "app-refusal.png"), full_page=True)
    page.locator("#chatbot button[aria-label='赞'], #chatbot button[aria-label='Like']").last.click()  # zh-CN: 赞
    page.locator("#status").get_by_text("已记录您的反馈").wait_for(timeout=20_000)
    page.screenshot(path=str(ARTIFACTS / "app-refusal.png"), full_page=True)
    assert not dialogs and not outside


def test_assessment_carries_into_the_plan_which_renders(browser_page):
    page, outside, dialogs = browser_page
    page.get_by_role("tab", name="数字化水平自评").click()
    page.get_by_label("专用网络").first.check() if page.get_by_label("专用网络").count() else None
    page.locator("#assess-run").click()
    page.locator("#assess-result").get_by_text("数字化水平自评结果").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "app-assessment.png"), full_page=False)
    page.locator("#assess-carry").click()
    page.locator("#plan-assessment").get_by_text("已载入自评结果").wait_for(timeout=20_000)
    form = page.locator("#plan-run")
    form.wait_for(timeout=20_000)
    page.get_by_label("地区（省市）").fill("浙江省宁波市")
    page.get_by_label("员工人数").fill("80")
    page.get_by_label("年营业收入（万元）").fill("3000")
    for label, value in (("行业", "机械（装备制造）"), ("企业类型（梯度层级）", "规上工业中小企业")):
        page.get_by_label(label, exact=True).click()
        page.get_by_role("option", name=value).click()
    form.click()
    page.locator("#plan-body").get_by_text("企业现状与诊断").first.wait_for(timeout=120_000)  # the outline comes first
    page.locator("#plan-progress").get_by_text("可下载").first.wait_for(timeout=300_000)  # then the finished plan
    page.wait_for_timeout(500)
    page.evaluate("document.querySelector('#plan-progress').scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "app-plan.png"), full_page=False)
    assert page.get_by_text(".docx").count() >= 1 and page.get_by_text(".md").count() >= 1
    assert "✅" in page.locator("#plan-progress").inner_text()
    assert not dialogs and not outside
