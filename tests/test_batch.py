"""`sme-ai batch` on every input and output format (extractive mode, fake embedder, real in-process Chroma)."""

import csv
import json

import pytest

from sme_ai.batch import BatchFormatError, read_questions, write_answers
from sme_ai.cli import main

QUESTIONS = ["中小企业上云率目标是多少？", "数控化率目标是多少？"]


@pytest.fixture
def env(tmp_path, monkeypatch, fake_settings):
    monkeypatch.setenv("SME_AI_EMBEDDER", "hash")
    monkeypatch.setenv("SME_AI_LLM_BACKEND", "extractive")
    monkeypatch.setenv("SME_AI_MIN_DENSE_SCORE", "0.0")
    monkeypatch.setenv("SME_AI_HOME", str(tmp_path / "home"))
    doc = tmp_path / "plan.md"
    doc.write_text("---\ntitle: 行动方案\n---\n## 目标\n到2027年，中小企业上云率超过40%。关键工序数控化率达到75%。\n",
                   encoding="utf-8")
    args = ["--data-dir", str(tmp_path / "kb")]
    assert main(args + ["ingest", str(doc)]) == 0
    return args


def _inputs(tmp_path):
    from openpyxl import Workbook

    txt = tmp_path / "q.txt"
    txt.write_text("\n".join(QUESTIONS) + "\n\n", encoding="utf-8")
    gbk_csv = tmp_path / "q.csv"
    gbk_csv.write_bytes(("编号,question\n1," + QUESTIONS[0] + "\n2," + QUESTIONS[1] + "\n").encode("gbk"))
    jsonl = tmp_path / "q.jsonl"
    jsonl.write_text("".join(json.dumps({"question": q}, ensure_ascii=False) + "\n" for q in QUESTIONS), encoding="utf-8")
    wb = Workbook()
    wb.active.append(["问题"])
    for q in QUESTIONS:
        wb.active.append([q])
    xlsx = tmp_path / "q.xlsx"
    wb.save(xlsx)
    return [txt, gbk_csv, jsonl, xlsx]


def test_every_input_format_reads_the_same_questions(tmp_path):
    for path in _inputs(tmp_path):
        assert read_questions(path) == QUESTIONS, path


@pytest.mark.parametrize("out_name", ["a.jsonl", "a.csv", "a.xlsx"])
def test_batch_writes_answers(env, tmp_path, out_name):
    src = _inputs(tmp_path)[3]
    out = tmp_path / out_name
    assert main(env + ["batch", str(src), "-o", str(out)]) == 0
    if out.suffix == ".jsonl":
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert [r["question"] for r in rows] == QUESTIONS
        assert "40%" in rows[0]["answer"] and rows[0]["citations"][0]["source"] == "plan.md"
        assert "75%" in rows[1]["answer"]
    elif out.suffix == ".csv":
        rows = list(csv.DictReader(open(out, encoding="utf-8-sig")))
        assert rows[0]["question"] == QUESTIONS[0] and "40%" in rows[0]["answer"] and "plan.md" in rows[0]["citations"]
    else:
        from openpyxl import load_workbook

        ws = load_workbook(out).active
        values = list(ws.iter_rows(values_only=True))
        assert values[0][:3] == ("question", "answer", "refused") and "40%" in values[1][1]


def test_bad_inputs_are_clear_errors(tmp_path):
    with pytest.raises(BatchFormatError):
        read_questions(tmp_path / "q.pdf")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(BatchFormatError) as e:
        read_questions(bad)
    assert "question" in str(e.value)
    with pytest.raises(BatchFormatError):
        write_answers(tmp_path / "out.pdf", [])
