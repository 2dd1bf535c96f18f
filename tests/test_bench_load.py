"""evals/bench_load.py's own arithmetic: the timeline of a level (no server)."""

import json

from evals.bench_load import Record, _write_timeline


def test_the_timeline_puts_requests_in_asking_order_and_the_servers_cpu_per_interval(tmp_path):
    t_start = 100.0
    records = [Record(0.5, fresh=True, first_useful=0.2, asked_at=103.0),
               Record(0.02, cached=True, first_useful=0.02, asked_at=101.5),
               Record(9.0, error="unfinished when the level ended")]  # never answered: no asking time kept
    cpu = [(1.0, 11.5), (2.0, 13.5), (4.0, 13.9)]  # (seconds into the level, server CPU seconds so far)
    path = tmp_path / "t.jsonl"
    _write_timeline(path, records, t_start, 10.0, cpu)
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert [x["server_cpu_pct"] for x in lines[:3]] == [150, 200, 20]
    asked = lines[3:]
    assert [x["asked"] for x in asked] == [None, 1.5, 3.0]
    assert asked[1] == {"asked": 1.5, "useful_s": 0.02, "final_s": 0.02, "fresh": False, "cached": True, "error": ""}
    assert asked[2]["fresh"] and asked[2]["useful_s"] == 0.2 and asked[0]["error"].startswith("unfinished")


def test_the_table_says_how_long_opening_the_page_took_when_the_trainees_opened_it():
    from evals.bench_load import render, summarise

    row = summarise(200, [Record(0.3, first_useful=0.2)], 60.0, [2**30], 30.0, 3.0)
    assert "page opened" not in render([row], {})
    row.update(page_loads=200, page_p50=1.0, page_p95=2.02)
    assert "- page opened (GET /) at 200: 200 times, p50 / p95 1.00 / 2.02 s" in render([row], {})
