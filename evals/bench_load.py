"""Load benchmark of the Gradio app: N simulated trainees (one page session each) ask questions with think
time, against the real app in a child process on a loopback port. Bounded: every level stops after --duration seconds
(requests in flight get --drain more seconds, then are cancelled). Prints a Markdown table.

The mix is a class's: --repeat-share (60 %) of the questions are the popular ones again, as asked before or in a
near-duplicate phrasing ("请问…", "…？请介绍一下。"), the rest fresh dev-set questions, each asked once. Per request
it times the first useful answer (the first screen update with a cited answer: the quoted draft, a cached answer or
the final one) and the final answer. `--llm-server BIN --slots N` runs the model in a llama.cpp server process with N
parallel slots (continuous batching) behind the app's OpenAI-compatible backend instead of in the app's process.

The trainees speak the page's own queue protocol (`--client http`, the default: POST /gradio_api/queue/join, then the
server-sent events of /gradio_api/queue/data with Gradio's output diffs, one session per trainee as one open page)
from one asyncio loop; `--client gradio` uses gradio_client, one Client and its threads per trainee, which took
150 % of this machine's two cores at 200 trainees and so measured the load generator more than the server.

    .venv/bin/python -m evals.bench_load                          # the default models (llama-cpp 1.5B + embeddinggemma)
    .venv/bin/python -m evals.bench_load --backend extractive     # no generator: retrieval, cache and queue only
    .venv/bin/python -m evals.bench_load --users 20 50 --duration 60 --think 5 20
    .venv/bin/python -m evals.bench_load --llm-server /path/to/llama-server --slots 4
    .venv/bin/python -m evals.bench_load --users 200 --timeline /tmp/tl   # + /tmp/tl-200.jsonl: each request, CPU/s
    .venv/bin/python -m evals.bench_load --users 200 --open-page          # each trainee first loads the page (GET /)

The knowledge base is `corpora/`, indexed into a temporary folder with the chosen embedder (or --data-dir, reused
when it already has documents). The answer cache carries over from one level to the next, as it would during one
training session. The load generator runs on the same machine as the server, so it competes for its cores: its CPU
share is in the table.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from math import nan
from pathlib import Path

from sme_ai.eval.stats import percentile

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Record:
    latency: float
    cached: bool = False
    refused: bool = False
    error: str = ""
    first_useful: float | None = None  # seconds to the first update showing a cited answer (draft, cached or final)
    fresh: bool = False  # a fresh question (asked once in the run), not a repeat or near-duplicate
    asked_at: float = 0.0  # perf_counter when asked (the timeline's offsets are taken from it)


def variants(question: str) -> list[str]:
    """The popular question as asked before and in two near-duplicate phrasings."""
    bare = question.rstrip("？?。")
    return [question, "请问" + question, bare + "？请介绍一下。"]


class Mix:
    """Questions as a class asks them: popular ones again (or nearly), fresh ones once each."""

    def __init__(self, popular: list[str], fresh: list[str], repeat_share: float):
        self.popular, self.fresh, self.repeat_share = popular, list(fresh), repeat_share
        self._lock = threading.Lock()

    def next(self, rng: random.Random) -> tuple[str, bool]:
        if rng.random() >= self.repeat_share:
            with self._lock:
                if self.fresh:
                    return self.fresh.pop(), True
        return rng.choice(variants(rng.choice(self.popular))), False


def _useful(output) -> bool:
    messages, _evidence, status = output[0], output[1], output[2]
    last = (messages[-1].get("content") if messages and isinstance(messages[-1], dict) else "") or ""
    return "<sup>[" in str(last) or any(mark in str(status) for mark in ("✅", "⚡", "⚠"))


def question_pool(path: Path, n: int = 30) -> list[str]:
    """The first n answerable dev-set questions that stand alone (no 这个/它/那…呢 that would make them follow-ups)."""
    from sme_ai.question import has_follow_up_word

    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            q = row["question"]
            if row.get("answerable", True) and not has_follow_up_word(q) and q not in out:
                out.append(q)
    return out[:n]


def _cpu_seconds(pid: int | None = None) -> float:
    """utime + stime of a process (Linux /proc); this process when pid is None."""
    import os

    if pid is None:
        t = os.times()
        return t.user + t.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


POLL_S = 0.05


def _first_useful(job, t0: float, hard_stop: float) -> float | None:
    """Seconds from t0 to the first screen update with a cited answer, read every POLL_S (so up to 50 ms late).
    Not `for output in job`: gradio_client's iterator polls every millisecond, and 200 trainee threads doing that
    took more of this machine's two cores than the server they load (145 % CPU at 200 in the twelfth session)."""
    seen, first = 0, None
    while time.monotonic() < hard_stop:
        outputs = list(job.outputs())
        if first is None and any(_useful(o) for o in outputs[seen:]):
            first = time.perf_counter() - t0
        seen = len(outputs)
        if job.done():
            if first is None and any(_useful(o) for o in job.outputs()[seen:]):
                first = time.perf_counter() - t0
            return first
        time.sleep(POLL_S)
    return first


def _user(client, mix: Mix, rng, think, stop_at, hard_stop, out: list[Record], lock, waiting: dict) -> None:
    time.sleep(rng.uniform(0, think[1]))  # trainees do not all press enter in the same second
    me = threading.get_ident()
    while time.monotonic() < stop_at:
        q, fresh = mix.next(rng)
        t0 = time.perf_counter()
        with lock:
            waiting[me] = t0
        job, first = None, None
        try:
            job = client.submit(q, api_name="/ask")
            first = _first_useful(job, t0, hard_stop)
            _messages, _evidence, status, _ = job.result(timeout=max(1.0, hard_stop - time.monotonic()))
            rec = Record(time.perf_counter() - t0, cached="⚡" in status, refused="⚠" in status,
                         error=status if "❌" in status else "", first_useful=first, fresh=fresh)
        except Exception as e:  # noqa: BLE001 - a failed request is a data point
            rec = Record(time.perf_counter() - t0, error=f"{type(e).__name__}: {str(e)[:120]}")
            try:
                if job is not None:
                    job.cancel()
            except Exception:  # noqa: BLE001 - an overloaded server may not answer the cancel either
                pass
        with lock:
            waiting.pop(me, None)
            out.append(rec)
        time.sleep(min(rng.uniform(*think), max(0.0, stop_at - time.monotonic())))


def run_level(server, n: int, mix: Mix, *, duration: float, drain: float, think: tuple[float, float],
              seed: int) -> dict:
    from gradio_client import Client

    clients, records = [], []
    for _ in range(n):  # sessions are made before the clock starts
        try:
            clients.append(Client(server.url, verbose=False, download_files=False, analytics_enabled=False,
                                  max_workers=2, httpx_kwargs={"timeout": 120}))  # a browser waits, too
        except Exception as e:  # noqa: BLE001 - a trainee who cannot even open the page is an error
            records.append(Record(0.0, error=f"connect: {type(e).__name__}"))
    lock, rss, waiting = threading.Lock(), [server.rss_bytes()], {}
    start = time.monotonic()
    cpu0 = (_cpu_seconds(server.proc.pid), _cpu_seconds())
    stop_at, hard_stop = start + duration, start + duration + drain
    threads = [threading.Thread(target=_user, daemon=True, args=(
        c, mix, random.Random(seed + i), think, stop_at, hard_stop, records, lock, waiting))
        for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads) and time.monotonic() < hard_stop + 5:
        time.sleep(1.0)
        rss.append(server.rss_bytes())
    elapsed = time.monotonic() - start
    with lock:  # a request still waiting when the level ends is a failed request, not a missing one
        now = time.perf_counter()
        records = records + [Record(now - t0, error="unfinished when the level ended") for t0 in waiting.values()]
        waiting.clear()  # a straggler that finishes later appends to the old list, never counted twice
    server_cpu, client_cpu = _cpu_seconds(server.proc.pid) - cpu0[0], _cpu_seconds() - cpu0[1]
    for c in clients:
        try:
            c.close()
        except Exception:  # noqa: BLE001
            pass
    return summarise(n, records, elapsed, rss, server_cpu, client_cpu)


def summarise(n: int, records: list[Record], elapsed: float, rss: list[int], server_cpu: float,
              client_cpu: float) -> dict:
    ok = [r for r in records if not r.error]
    lat = [r.latency for r in ok]
    useful = [r.first_useful if r.first_useful is not None else r.latency for r in ok]
    return {"users": n, "requests": len(records), "ok": len(ok), "errors": len(records) - len(ok),
            "p50": percentile(lat, 0.5, nan), "p95": percentile(lat, 0.95, nan), "max": max(lat, default=float("nan")),
            "useful_p50": percentile(useful, 0.5, nan), "useful_p95": percentile(useful, 0.95, nan),
            "fresh_asked": sum(r.fresh for r in records),
            "generated_per_min": 60 * sum(not r.cached for r in ok) / max(elapsed, 1e-9),
            "cache_hit": sum(r.cached for r in ok) / max(len(ok), 1), "refused": sum(r.refused for r in ok),
            "p50_cached": percentile([r.latency for r in ok if r.cached], 0.5, nan),
            "p50_generated": percentile([r.latency for r in ok if not r.cached], 0.5, nan),
            "rss_peak_mb": max(rss) / 2**20, "wall_s": elapsed,
            "server_cpu_pct": 100 * server_cpu / elapsed, "client_cpu_pct": 100 * client_cpu / elapsed,
            "server_cpu_ms_per_req": 1000 * server_cpu / max(len(records), 1),
            "error_examples": sorted({r.error for r in records if r.error})[:3]}


def ask_endpoint(base_url: str) -> int:
    """The id of the app's "ask" event (what the page sends as fn_index), from its /config."""
    import urllib.request

    with urllib.request.urlopen(base_url.rstrip("/") + "/config", timeout=30) as r:
        config = json.loads(r.read())
    for i, dep in enumerate(config["dependencies"]):
        if dep.get("api_name") == "ask":
            return dep.get("id", i)
    raise SystemExit("the app has no 'ask' event")


async def ask_over_http(http, base: str, fn_index: int, session: str, question: str, t0: float) -> Record:
    """One question as the page asks it: join the queue in the trainee's session, read that session's event stream,
    apply Gradio's output diffs, note when the screen first shows a cited answer, return at the completed event."""
    from gradio_client.utils import apply_diff

    r = await http.post(f"{base}/queue/join", json={"data": [question, None], "fn_index": fn_index,
                                                    "session_hash": session, "event_data": None, "trigger_id": None})
    r.raise_for_status()
    event_id, view, first = r.json()["event_id"], None, None
    async with http.stream("GET", f"{base}/queue/data", params={"session_hash": session}) as resp:
        resp.raise_for_status()
        async for line in resp.aiter_lines():
            if not line.startswith("data:"):
                continue
            msg = json.loads(line[5:])
            kind = msg.get("msg")
            if kind == "close_stream":
                break
            if msg.get("event_id") != event_id:
                continue
            if kind == "process_generating":
                data = msg["output"]["data"]
                view = list(data) if view is None else [apply_diff(v, d) for v, d in zip(view, data)]
            elif kind == "process_completed":
                if not msg.get("success", True):
                    return Record(time.perf_counter() - t0, error=f"failed: {str(msg.get('output'))[:120]}")
                view = msg["output"]["data"]
            else:
                continue
            if first is None and _useful(view):  # view: the ask event's outputs (messages, evidence, status, …)
                first = time.perf_counter() - t0
            if kind == "process_completed":
                status = str(view[2])
                return Record(time.perf_counter() - t0, cached="⚡" in status, refused="⚠" in status,
                              error=status if "❌" in status else "", first_useful=first)
    return Record(time.perf_counter() - t0, error="the event stream ended before the answer")


async def _http_user(http, base, fn_index, mix: Mix, rng, think, stop_at, hard_stop, out: list[Record],
                     waiting: dict, pages: list[float] | None = None) -> None:
    """One trainee; `pages`: the trainee first opens the page (GET / — the app's HTML with its configuration), and
    the seconds that took are appended there."""
    import asyncio
    import uuid

    await asyncio.sleep(rng.uniform(0, think[1]))
    if pages is not None:
        t0 = time.perf_counter()
        try:
            (await http.get(base.removesuffix("/gradio_api") + "/")).raise_for_status()
            pages.append(time.perf_counter() - t0)
        except Exception as e:  # noqa: BLE001 - a trainee who cannot open the page is an error
            out.append(Record(time.perf_counter() - t0, error=f"page: {type(e).__name__}"))
            return
    me, session = object(), uuid.uuid4().hex  # one page: Gradio builds a session's state on its first event
    while time.monotonic() < stop_at:
        q, fresh = mix.next(rng)
        t0 = time.perf_counter()
        waiting[me] = t0
        try:
            rec = await asyncio.wait_for(ask_over_http(http, base, fn_index, session, q, t0),
                                         timeout=max(1.0, hard_stop - time.monotonic()))
        except asyncio.TimeoutError:  # left for the "unfinished" count below
            return
        except Exception as e:  # noqa: BLE001 - a failed request is a data point
            rec = Record(time.perf_counter() - t0, error=f"{type(e).__name__}: {str(e)[:120]}")
        rec.fresh, rec.asked_at = fresh, t0
        waiting.pop(me, None)
        out.append(rec)
        await asyncio.sleep(min(rng.uniform(*think), max(0.0, stop_at - time.monotonic())))


def run_level_http(server, n: int, mix: Mix, *, duration: float, drain: float, think: tuple[float, float],
                   seed: int, fn_index: int, timeline: Path | None = None, open_page: bool = False) -> dict:
    """The level with n trainees as coroutines on one event loop and one HTTP connection pool. `timeline`: also write
    every request (when asked, first useful and final answer, fresh, cached) and the server's CPU each second there,
    as JSON lines — where in the level the slow answers fall."""
    import asyncio

    import httpx

    async def level() -> tuple[list[Record], list[int], float, list[float] | None, float, float]:
        records, rss, waiting, cpu_each_s = [], [server.rss_bytes()], {}, []
        pages: list[float] | None = [] if open_page else None
        base = server.url.rstrip("/") + "/gradio_api"
        limits = httpx.Limits(max_connections=4 * n + 10, max_keepalive_connections=2 * n + 10)
        async with httpx.AsyncClient(timeout=httpx.Timeout(120.0), limits=limits) as http:
            start, t_start = time.monotonic(), time.perf_counter()
            cpu0 = (_cpu_seconds(server.proc.pid), _cpu_seconds())
            stop_at, hard_stop = start + duration, start + duration + drain
            tasks = [asyncio.create_task(_http_user(http, base, fn_index, mix, random.Random(seed + i), think,
                                                    stop_at, hard_stop, records, waiting, pages))
                     for i in range(n)]
            while not all(t.done() for t in tasks) and time.monotonic() < hard_stop + 5:
                await asyncio.sleep(1.0)
                rss.append(server.rss_bytes())
                cpu_each_s.append((time.perf_counter() - t_start, _cpu_seconds(server.proc.pid)))
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            elapsed = time.monotonic() - start
            now = time.perf_counter()
            records += [Record(now - t0, error="unfinished when the level ended") for t0 in waiting.values()]
            cpu = (_cpu_seconds(server.proc.pid) - cpu0[0], _cpu_seconds() - cpu0[1])
        if timeline:
            _write_timeline(timeline, records, t_start, cpu0[0], cpu_each_s)
        return records, rss, elapsed, pages, *cpu

    records, rss, elapsed, pages, server_cpu, client_cpu = asyncio.run(level())
    row = summarise(n, records, elapsed, rss, server_cpu, client_cpu)
    if pages is not None:
        row.update(page_loads=len(pages), page_p50=percentile(pages, 0.5, nan), page_p95=percentile(pages, 0.95, nan))
    return row


def _write_timeline(path: Path, records: list[Record], t_start: float, cpu_start: float,
                    cpu_each_s: list[tuple[float, float]]) -> None:
    lines, before = [], (0.0, cpu_start)
    for at, cpu in cpu_each_s:
        lines.append({"t": round(at, 2), "server_cpu_pct": round(100 * (cpu - before[1]) / max(at - before[0], 1e-9))})
        before = (at, cpu)
    for r in sorted(records, key=lambda r: r.asked_at):
        lines.append({"asked": round(r.asked_at - t_start, 3) if r.asked_at else None, "useful_s": r.first_useful,
                      "final_s": round(r.latency, 3), "fresh": r.fresh, "cached": r.cached, "error": r.error})
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")


def prewarm(server, pool: list[str], budget_s: float) -> dict:
    """What a trainer does before the session (培训模式 → 批量问答): every pool question once, one at a time."""
    from gradio_client import Client

    c = Client(server.url, verbose=False, download_files=False, analytics_enabled=False,
               httpx_kwargs={"timeout": 120})
    times, deadline = [], time.monotonic() + budget_s
    for q in pool:
        if time.monotonic() > deadline:
            break
        t0 = time.perf_counter()
        try:
            c.submit(q, api_name="/ask").result(timeout=max(1.0, deadline - time.monotonic()))
            c.predict(api_name="/clear")  # a fresh conversation: the next question is not a follow-up
        except Exception:  # noqa: BLE001 - out of time
            break
        times.append(time.perf_counter() - t0)
    return {"warmed": len(times), "mean_s": sum(times) / max(len(times), 1)}


def render(rows: list[dict], meta: dict) -> str:
    head = ("| trainees | requests | errors | first useful p50 / p95 s | final p50 / p95 s | max s | cache hit "
            "| p50 cached s | p50 generated s | answered without cache per min | fresh asked | refused "
            "| server RSS peak MB | server CPU % | load-generator CPU % |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    lines = [f"| {r['users']} | {r['requests']} | {r['errors']} | {r['useful_p50']:.2f} / {r['useful_p95']:.2f} "
             f"| {r['p50']:.2f} / {r['p95']:.2f} | {r['max']:.1f} "
             f"| {r['cache_hit']:.0%} | {r['p50_cached']:.2f} | {r['p50_generated']:.2f} "
             f"| {r['generated_per_min']:.1f} "
             f"| {r['fresh_asked']} | {r['refused']} "
             f"| {r['rss_peak_mb']:.0f} | {r['server_cpu_pct']:.0f} | {r['client_cpu_pct']:.0f} |" for r in rows]
    notes = [f"- {k}: {v}" for k, v in meta.items()]
    errs = [f"- errors at {r['users']}: {r['error_examples']}" for r in rows if r["errors"]]
    pages = [f"- page opened (GET /) at {r['users']}: {r['page_loads']} times, p50 / p95 {r['page_p50']:.2f} / "
             f"{r['page_p95']:.2f} s, before each trainee's first question" for r in rows if "page_loads" in r]
    return "\n".join([head, *lines, "", *notes, *pages, *errs])


def _prepare(args, data_dir: Path, env: dict) -> None:
    import subprocess
    import sys

    state = data_dir / "state.json"
    if state.is_file() and json.loads(state.read_text(encoding="utf-8")).get("docs"):
        return
    r = subprocess.run([sys.executable, "-m", "sme_ai.cli", "ingest", args.corpus], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise SystemExit(f"ingest failed:\n{r.stdout}\n{r.stderr}")


@contextmanager
def _model_server(args):
    """A llama-server process with --slots parallel slots on a loopback port (None without --llm-server)."""
    import subprocess
    import urllib.request

    if not args.llm_server:
        yield None
        return
    from sme_ai import models
    from sme_ai.config import Settings
    from sme_ai.testing.app_process import free_port

    port = free_port()
    gguf = models.resolve(args.llm_model, Settings().home)
    cmd = [args.llm_server, "-m", str(gguf), "--host", "127.0.0.1", "--port", str(port), "--parallel",
           str(args.slots), "-c", str(2048 * args.slots), "--threads", "2", "--no-webui"]
    log = open(ROOT / "evals" / "reports" / "bench_load-llama-server.log", "wb")
    if args.server_nice:
        cmd = ["nice", "-n", str(args.server_nice), *cmd]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"llama-server exited with {proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(1)
        else:
            raise SystemExit("llama-server did not become healthy within 300 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def main(argv=None) -> None:
    import os

    from sme_ai.config import Settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, nargs="+", default=[20, 50, 100, 200])
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of load per level")
    ap.add_argument("--drain", type=float, default=120.0, help="extra seconds for requests in flight")
    ap.add_argument("--think", type=float, nargs=2, default=[5.0, 20.0], help="think time range, seconds")
    ap.add_argument("--backend", default="llama-cpp", choices=["llama-cpp", "extractive", "openai", "transformers"])
    ap.add_argument("--llm-model", default=Settings.model_fields["llm_model"].default)
    ap.add_argument("--embedder", default="sentence-transformers", choices=["sentence-transformers", "hash"])
    ap.add_argument("--corpus", default=str(ROOT / "corpora"))
    ap.add_argument("--questions", default=str(ROOT / "evals" / "dev.jsonl"))
    ap.add_argument("--data-dir", help="knowledge base folder (default: a temporary one)")
    ap.add_argument("--out", help="also write the table to this file")
    ap.add_argument("--server-log", default=str(ROOT / "evals" / "reports" / "bench_load-server.log"))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--client", default="http", choices=["http", "gradio"],
                    help="http: the page's queue protocol from one asyncio loop; gradio: gradio_client threads")
    ap.add_argument("--prewarm-s", type=float, default=0.0,
                    help="before the levels, ask the popular questions once (a trainer's batch) for up to this long")
    ap.add_argument("--popular", type=int, default=10, help="popular questions (asked again and nearly again)")
    ap.add_argument("--repeat-share", type=float, default=0.6, help="share of repeated or near-duplicate questions")
    ap.add_argument("--llm-server", help="a llama.cpp `llama-server` binary: the model runs there, not in the app")
    ap.add_argument("--slots", type=int, default=4, help="the server's parallel slots (--llm-server)")
    ap.add_argument("--open-page", action="store_true", help="http client: each trainee first opens the page "
                    "(GET /, the HTML with the app's configuration) as a browser does")
    ap.add_argument("--timeline", help="http client: write each level's requests and server CPU per second to "
                    "TIMELINE-<trainees>.jsonl")
    ap.add_argument("--server-nice", type=int, default=0,
                    help="run the model server at this nice level, so retrieval and cached answers come first")
    args = ap.parse_args(argv)
    if max(args.users) > 500 or args.duration > 900:
        raise SystemExit("bounded by design: at most 500 users and 900 s per level")

    from sme_ai.testing.app_process import AppProcess

    pool = question_pool(Path(args.questions), n=10_000)
    fresh = pool[args.popular:]
    random.Random(args.seed).shuffle(fresh)
    mix = Mix(pool[: args.popular], fresh, args.repeat_share)
    with tempfile.TemporaryDirectory() as tmp, _model_server(args) as server_url:
        data_dir = Path(args.data_dir) if args.data_dir else Path(tmp) / "kb"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SME_AI_") or k == "SME_AI_EMBEDDER_RUNTIME"}
        env.update({"SME_AI_DATA_DIR": str(data_dir), "SME_AI_LLM_BACKEND": args.backend,
                    "SME_AI_LLM_MODEL": args.llm_model, "SME_AI_EMBEDDER": args.embedder, "HF_HUB_OFFLINE": "1",
                    "SME_AI_APP_DIR": str(Path(tmp) / "app"), "SME_AI_QUEUE_MAX": "2000"})
        if server_url:
            env.update({"SME_AI_LLM_BACKEND": "openai", "SME_AI_OPENAI_BASE_URL": server_url,
                        "SME_AI_OPENAI_MODEL": args.llm_model, "SME_AI_LLM_SLOTS": str(args.slots)})
        t0 = time.perf_counter()
        _prepare(args, data_dir, env)
        ingest_s = time.perf_counter() - t0
        rows = []
        with AppProcess(env, log_path=Path(args.server_log), startup_s=600) as server:
            idle_rss = server.rss_bytes() / 2**20
            warm = prewarm(server, mix.popular, args.prewarm_s) if args.prewarm_s > 0 else None
            if warm:
                print(json.dumps({"prewarm": warm}), flush=True)
            fn_index = ask_endpoint(server.url)
            for i, n in enumerate(args.users):
                level = dict(duration=args.duration, drain=args.drain, think=tuple(args.think),
                             seed=args.seed + 1000 * i)
                timeline = Path(f"{args.timeline}-{n}.jsonl") if args.timeline else None
                row = (run_level_http(server, n, mix, fn_index=fn_index, timeline=timeline, open_page=args.open_page,
                                      **level)
                       if args.client == "http"
                       else run_level(server, n, mix, **level))
                rows.append(row)
                print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()},
                                 ensure_ascii=False), flush=True)
        backend = (f"llama-server, {args.slots} parallel slots ({args.llm_model}) behind the openai backend"
                   + (f", at nice {args.server_nice}" if args.server_nice else "")
                   if server_url else args.backend + ("" if args.backend == "extractive" else f" ({args.llm_model})"))
        runtime = os.environ.get("SME_AI_EMBEDDER_RUNTIME", "auto (onnx for EmbeddingGemma)")
        meta = {"backend": backend, "embedder": f"{args.embedder}, runtime {runtime}",
                "load generator": ("one asyncio loop speaking the page's queue protocol over HTTP"
                                   if args.client == "http" else "gradio_client, one Client and its threads per trainee"),
                "questions": (f"{args.repeat_share:.0%} one of {args.popular} popular questions or a near-duplicate "
                              f"of one, the rest fresh ({len(fresh)} available, each asked once) from "
                              f"{Path(args.questions).name}"),
                "think time": f"{args.think[0]:g}–{args.think[1]:g} s", "duration per level": f"{args.duration:g} s "
                f"(+ up to {args.drain:g} s drain)", "server RSS idle": f"{idle_rss:.0f} MB",
                "index": f"{ingest_s:.0f} s to index {Path(args.corpus).name}"}
        if warm:
            meta["prewarm"] = (f"{warm['warmed']}/{len(mix.popular)} popular questions answered one at a time before "
                               f"the levels, {warm['mean_s']:.1f} s each on average")
        table = render(rows, meta)
        print(table)
        if args.out:
            Path(args.out).write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
