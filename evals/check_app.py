"""Drive a running app (e.g. the one `make run` starts, with the default models) the way an owner would, and save
screenshots: a question in the chat tab (evidence first, then a cited answer), a follow-up, and a plan drafted
through the API. A script for a person to run and look at, not a test.

    .venv/bin/python -m evals.check_app --url http://127.0.0.1:7860 --out /tmp/check-app [--no-plan]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def chat(url: str, out: Path, questions: list[str], timeout_s: float) -> list[dict]:
    import tempfile

    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(profile, executable_path="/usr/bin/chromium", headless=True,
                                                       args=FLAGS, viewport={"width": 1400, "height": 1000},
                                                       locale="zh-CN")
        page = context.new_page()
        page.goto(url, wait_until="domcontentloaded")
        page.locator("#question textarea").wait_for(timeout=60_000)
        for i, q in enumerate(questions, start=1):
            before = page.locator("#chatbot .message").count()
            t0 = time.perf_counter()
            page.locator("#question textarea").fill(q)
            page.locator("#send").click()
            page.wait_for_function(f"() => document.querySelectorAll('#chatbot .message').length > {before + 1}",
                                   timeout=60_000)
            evidence_s = useful_s = None
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                status = page.locator("#status").inner_text()
                if evidence_s is None and page.locator("#evidence").inner_text().count("来源") > 0:
                    evidence_s = time.perf_counter() - t0
                # the first useful answer: a cited answer in the bubble (the quoted draft, or the final answer)
                bubble = page.locator("#chatbot .message").last.inner_text()
                if useful_s is None and re.search(r"资料原文摘录|\[\d+\]", bubble):
                    useful_s = time.perf_counter() - t0
                if any(w in status for w in ("回答完成", "缓存", "没有找到", "❌")):
                    break
                page.wait_for_timeout(100)
            total_s = time.perf_counter() - t0
            page.screenshot(path=str(out / f"chat-{i}.png"), full_page=True)
            rows.append({"question": q, "status": page.locator("#status").inner_text().strip(),
                         "evidence_s": round(evidence_s or total_s, 2), "first_useful_s": round(useful_s or total_s, 2),
                         "total_s": round(total_s, 2),
                         "answer": page.locator("#chatbot .message").last.inner_text()[:600]})
        context.close()
    return rows


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
    ap.add_argument("--questions", nargs="+", default=["到2027年中小企业上云率要达到多少？", "那规上工业中小企业呢？"])
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {"chat": chat(args.url, out, args.questions, args.timeout)}
    if not args.no_plan:
        report["plan"] = plan(args.url, out)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
