"""The CLI end to end with the fast fake embedder and real Chroma (in-process)."""

import json

import pytest

from sme_ai.cli import main


@pytest.fixture
def env(tmp_path, monkeypatch, fake_settings):
    monkeypatch.setenv("SME_AI_EMBEDDER", "hash")
    monkeypatch.setenv("SME_AI_HOME", str(tmp_path / "home"))
    return ["--data-dir", str(tmp_path / "kb")]


def test_ingest_search_docs_roundtrip(env, seed_path, capsys, tmp_path):
    assert main(env + ["ingest", str(seed_path)]) == 0
    out = capsys.readouterr().out
    assert "新增 1" in out
    assert main(env + ["ingest", str(seed_path)]) == 0
    assert "向量化 0 个片段" in capsys.readouterr().out  # unchanged file: no embedding work

    assert main(env + ["search", "中小企業上雲率的目標", "-k", "3", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 3 and {"source", "title", "section", "page", "score", "text", "legs"} <= set(hits[0])
    assert any("40%" in h["text"] for h in hits)

    assert main(env + ["docs", "list", "--json"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert docs[0]["source"] == seed_path.name and docs[0]["chunks"] > 0

    assert main(env + ["docs", "remove", seed_path.name]) == 0
    assert main(env + ["docs", "list"]) == 0
    assert "知识库为空" in capsys.readouterr().out


def test_bad_file_reports_and_exits_nonzero(env, tmp_path, capsys):
    bad = tmp_path / "x.txt"
    bad.write_bytes(b"")
    assert main(env + ["ingest", str(bad)]) == 1
    assert "x.txt" in capsys.readouterr().err


def test_errors_are_messages_not_tracebacks(env, capsys):
    assert main(env + ["docs", "remove", "nothing-here"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误:") and "Traceback" not in err


def test_models_list(env, capsys):
    assert main(env + ["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "qwen2.5-coder-1.5b" in out and "embeddinggemma-300m" in out and "未下载" in out


def test_settings_from_flags_are_validated_like_any_other(env, capsys):
    """`--chunk-size 10` must not slip past `ge=80` (it once did, through `model_copy(update=)`)."""
    assert main(env + ["eval", "--no-baseline", "--no-report", "--chunk-size", "10"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误:") and "chunk_size=10" in err and "greater than or equal to 80" in err
    assert "Traceback" not in err


def test_bad_settings_in_the_environment_are_a_clear_error(env, monkeypatch, capsys):
    monkeypatch.setenv("SME_AI_TOP_K", "many")
    assert main(env + ["search", "上云"]) == 2
    err = capsys.readouterr().err
    assert "top_k='many'" in err and "Traceback" not in err


def test_ingest_the_shipped_corpus_without_a_path(env, capsys):
    assert main(env + ["ingest"]) == 2 and "--shipped" in capsys.readouterr().err
    assert main(env + ["ingest", "--shipped", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert "policy/action_plan_2025_2027.md" in stats["added"] and len(stats["added"]) >= 15
