"""Drive a running app (e.g. the one `make run` starts, with the default models) the way an owner would, and save
screenshots: a question in the chat tab (evidence first, then a cited answer), a follow-up, the self-assessment
filled in as a mid-level firm would (result and radar chart), and a plan drafted through the API. A script for a
person to run and look at, not a test.

    .venv/bin/python -m evals.check_app --url http://127.0.0.1:7860 --out /tmp/check-app [--no-plan] [--no-assess]
"""

from __future__ import annotations

import argparse
import json
import time
from contextlib import contextmanager
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


# In the page: the click's time, then the first moment the evidence panel shows new passages and the new answer
# bubble holds a cited answer (the quoted draft or the final one), seen by a MutationObserver, not by polling.
_WATCH = r"""() => {
  const marks = window.__smeMarks = {};
  const evidence = () => (document.querySelector('#evidence') || {}).innerText || '';
  // the panel's first line names the question it searched: new evidence is a new such line with sources under it
  // (comparing the whole text fires at once, when the app marks the old panel as pending)
  const searched = t => (t.match(/检索问题：[^\n]*/) || [''])[0];
  const before = document.querySelectorAll('#chatbot .message').length, shown = searched(evidence());
  document.querySelector('#send').addEventListener('click', () => { marks.click = performance.now(); },
                                                   {once: true, capture: true});
  const seen = () => {
    const t = performance.now(), now = evidence(), bubbles = document.querySelectorAll('#chatbot .message');
    if (!marks.evidence && searched(now) && searched(now) !== shown && now.includes('来源')) marks.evidence = t;
    if (!marks.useful && bubbles.length > before + 1 &&
        /资料原文摘录|\[\d+\]/.test(bubbles[bubbles.length - 1].innerText)) marks.useful = t;
    if (marks.evidence && marks.useful) observer.disconnect();
  };
  const observer = new MutationObserver(seen);
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


@contextmanager
def _page(url: str):
    """(context, page): Debian's chromium, headless, a fresh profile, the app's page loaded."""
    import tempfile

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(profile, executable_path="/usr/bin/chromium", headless=True,
                                                       args=FLAGS, viewport={"width": 1400, "height": 1000},
                                                       locale="zh-CN")
        page = context.new_page()
        page.goto(url, wait_until="domcontentloaded")
        yield context, page


def chat(url: str, out: Path, questions: list[str], timeout_s: float) -> list[dict]:
    rows = []
    with _page(url) as (context, page):
        page.locator("#question textarea").wait_for(timeout=60_000)
        for i, q in enumerate(questions, start=1):
            before = page.locator("#chatbot .message").count()
            page.locator("#question textarea").fill(q)
            page.evaluate(_WATCH)  # times taken in the page itself, from the click's own event
            page.locator("#send").click()
            t0 = time.perf_counter()
            page.wait_for_function(f"() => document.querySelectorAll('#chatbot .message').length > {before + 1}",
                                   timeout=60_000)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                status = page.locator("#status").inner_text()
                if any(w in status for w in ("回答完成", "缓存", "没有找到", "❌")):
                    break
                page.wait_for_timeout(250)
            marks = page.evaluate("() => window.__smeMarks")
            total_s = time.perf_counter() - t0

            def since_click(name):
                return round((marks[name] - marks["click"]) / 1000, 2) if marks.get(name) else round(total_s, 2)

            evidence_s, useful_s = since_click("evidence"), since_click("useful")
            page.screenshot(path=str(out / f"chat-{i}.png"), full_page=True)
            rows.append({"question": q, "status": page.locator("#status").inner_text().strip(),
                         "evidence_s": evidence_s, "first_useful_s": useful_s,
                         "total_s": round(total_s, 2),
                         "answer": page.locator("#chatbot .message").last.inner_text()[:600]})
        context.close()
    return rows


# The self-assessment as a mid-level firm answers it (run after the accordions are opened): in each single-choice
# question an option further down the list from one question to the next, in each multiple-choice item one to three.
_FILL = r"""() => {
  const groups = [...document.querySelectorAll('#assess-tab .block')].filter(b => b.querySelector('input[type=radio]'));
  groups.forEach((g, i) => {
    const opts = g.querySelectorAll('input[type=radio]');
    const pick = opts[Math.min(opts.length - 1, Math.floor(opts.length * ((i * 7) % 10) / 10))];
    if (pick) pick.click();
  });
  const multi = [...document.querySelectorAll('#assess-tab .block')].filter(b => b.querySelector('input[type=checkbox]'));
  multi.forEach((g, i) => g.querySelectorAll('input[type=checkbox]').forEach((c, k) => {
    if (k <= i % 3 && !c.checked) c.click();  // the first one to three options of each multiple-choice item
  }));
  return groups.length + multi.length;
}"""


def assess(url: str, out: Path) -> dict:
    """Fill in the self-assessment in the browser, compute it and screenshot the result and the radar chart."""
    with _page(url) as (context, page):
        page.get_by_role("tab", name="数字化水平自评").click()
        page.locator("#assess-run").wait_for(timeout=60_000)
        page.wait_for_timeout(500)
        page.evaluate("() => document.querySelectorAll('#assess-tab button.label-wrap:not(.open)')"
                      ".forEach(b => b.click())")  # the accordions' inputs exist only once opened
        page.wait_for_timeout(800)
        groups = page.evaluate(_FILL)
        t0 = time.perf_counter()
        page.locator("#assess-run").click()
        page.locator("#assess-result").get_by_text("数字化水平自评结果").first.wait_for(timeout=120_000)
        page.locator("#assess-chart img").first.wait_for(timeout=60_000)
        seconds = time.perf_counter() - t0
        page.wait_for_timeout(800)
        page.locator("#assess-run").scroll_into_view_if_needed()
        page.screenshot(path=str(out / "assess-result.png"), full_page=False)
        page.locator("#assess-chart").screenshot(path=str(out / "assess-chart.png"))
        result = page.locator("#assess-result").inner_text()
        context.close()
    return {"answered_groups": groups, "seconds": round(seconds, 2), "result": result[:800]}


def plan(url: str, out: Path) -> dict:
    from gradio_client import Client

    from sme_ai.app.planning import EXAMPLE_PROFILE, PROFILE_FIELDS

    t0 = time.perf_counter()
    job = Client(url, verbose=False, analytics_enabled=False).submit(
        *[EXAMPLE_PROFILE[k] for k in PROFILE_FIELDS], False, api_name="/plan")
    progress = [o[0] for o in job]
    status, markdown, files = job.result()
    (out / "plan.md").write_text(markdown, encoding="utf-8")
    return {"status": status, "seconds": round(time.perf_counter() - t0, 1), "progress_updates": len(progress),
            "files": [Path(f).name for f in files or []], "chars": len(markdown)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:7860")
    ap.add_argument("--out", default="/tmp/check-app")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for one answer")
    ap.add_argument("--no-plan", action="store_true")
    ap.add_argument("--no-assess", action="store_true")
    ap.add_argument("--no-chat", action="store_true")
    ap.add_argument("--questions", nargs="+", default=["到2027年中小企业上云率要达到多少？", "那规上工业中小企业呢？"])
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {} if args.no_chat else {"chat": chat(args.url, out, args.questions, args.timeout)}
    if not args.no_assess:
        report["assess"] = assess(args.url, out)
    if not args.no_plan:
        report["plan"] = plan(args.url, out)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
