"""The tuning pipeline's fast tier: the data builder (on the shipped corpus with the hash embedder), the leak
check and its threshold, the GGUF adapter writer (names, shapes, metadata), the model card, the CLI wiring."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "evals" / "dev.jsonl"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """120 examples from three folders of the shipped corpus (those with 误传 lines), hash embedder, in-memory store."""
    from sme_ai.config import Settings
    from sme_ai.tune import data
    from sme_ai.tune.corpus import corpus_retriever

    tmp = tmp_path_factory.mktemp("tune")
    settings = Settings(data_dir=tmp / "kb", home=tmp / "home", embedder="hash", vector_store="memory")
    chunks, search = corpus_retriever(settings, tmp / "kb", [ROOT / "corpora" / d for d in ("policy", "pilot", "tier")])
    opt = data.Options(n=120)
    examples = [e for _, _, e in data.build(chunks, search, DEV, opt)]
    manifest = data.write(examples, tmp / "out", opt, {"leak_threshold": 0.25})
    return {c.id: c for c in chunks}, examples, manifest, tmp / "out"


def _passages(example, chunks):
    from sme_ai.generate.context import Passage
    from sme_ai.types import Hit

    return [Passage(n=p["n"], hit=Hit(chunk=chunks[p["chunk"]], score=0.0), sentences=tuple(p["sentences"]),
                    heads=p.get("heads", "")) for p in example["passages"]]


def test_data_mix_and_refusal_share(built):
    _, examples, manifest, _ = built
    assert len(examples) >= 110
    assert manifest["refusal_share"] >= 0.25
    kinds = {e["type"] for e in examples}
    assert {"fact", "number", "applicability", "multihop", "followup", "traditional", "english"} <= kinds
    assert {"refusal_removed", "invented", "rumour", "off_topic"} <= kinds


def _prompt_context(example) -> str:
    content = example["messages"][1]["content"]
    return content[content.index("<资料>"): content.index("</资料>")]


def test_every_target_passes_the_products_verification(built):
    import re

    from sme_ai.generate.context import render_context
    from sme_ai.generate.extractive import evidence_passages
    from sme_ai.generate.verify import numbers_in, verify_answer

    chunks, examples, _, _ = built
    for e in examples:
        passages = _passages(e, chunks)
        v = verify_answer(e["target"], passages)  # verified against the whole compact context, as the product does
        assert v.text == e["target"] and not v.repaired and not v.auto_cited, e
        assert e["context"] == "evidence"
        if not e["oracle_added"]:  # the prompt is the evidence-only prompt the product builds for this question
            assert render_context(evidence_passages(e["model_question"], passages)) in e["messages"][1]["content"]
        assert e["messages"][-1] == {"role": "assistant", "content": e["target"]}
        if e["refusal"]:
            assert e["target"] == "资料中未提及。"
        else:
            assert set(v.used) <= {p.n for p in passages} and v.used
            seen = _prompt_context(e)
            assert all(n in seen.replace("％", "%") for n in numbers_in(e["target"]))  # verbatim, in what the model saw
            for sentence in re.findall(r"[^。]+?\[(\d+)\]", e["target"].removeprefix("From the documents (in Chinese): ")):
                assert f"[{sentence}]" in seen  # the passage it cites is in the prompt


def test_evidence_prompt_puts_in_the_answering_sentence_the_selection_missed(built):
    """Against the product's selection: a fact sentence it did not pick is added to its passage, nothing else."""
    from sme_ai.generate.extractive import evidence_passages
    from sme_ai.tune import data
    from sme_ai.tune.questions import Fact

    chunks, examples, manifest, _ = built
    e = next(e for e in examples if not e["refusal"] and len(e["passages"]) > 1)
    passages = _passages(e, chunks)
    chosen = {(p.n, s) for p in evidence_passages(e["model_question"], passages) for s in p.sentences}
    # a sentence of a passage that the selection did not take, as the fact the question asks for
    p, sentence = next((p, s) for p in passages for s in p.sentences
                       if data._core(s) not in {c for _, c in chosen} and len(s) > 12)
    fact = Fact(chunk=p.hit.chunk, sentence=sentence.strip(), answer=sentence.strip(), kind="fact")
    shown, added = data.evidence_prompt(e["model_question"], passages, [fact])
    assert added
    got = {(q.n, s) for q in shown for s in q.sentences}
    assert got - chosen == {(p.n, data._core(sentence))}
    assert chosen <= got
    assert 0 <= manifest["oracle_added"] < len(examples)


def test_oracle_is_among_distractors_and_removed_for_refusals(built):
    chunks, examples, _, _ = built
    positives = [e for e in examples if not e["refusal"]]
    assert all(set(e["oracle"]) <= {p["chunk"] for p in e["passages"]} for e in positives)
    assert sum(len(e["passages"]) > 1 for e in positives) >= 0.8 * len(positives)  # distractors beside the oracle
    removed = [e for e in examples if e["type"] == "refusal_removed"]
    assert removed and all(e["passages"] for e in removed)


def test_manifest_hash_matches_the_file(built):
    import hashlib

    _, _, manifest, out = built
    assert manifest["sha256"] == hashlib.sha256((out / "examples.jsonl").read_bytes()).hexdigest()
    assert sum(manifest["by_type"].values()) == manifest["examples"]


def test_no_question_leaks_from_the_dev_set(built):
    from sme_ai.tune.leak import THRESHOLD, LeakCheck, dev_questions

    _, examples, _, _ = built
    check = LeakCheck(dev_questions(DEV))
    worst = max((check.closest(q), q) for e in examples for q in [e["question"], *(h[0] for h in e["history"])])
    assert worst[0][0] < THRESHOLD, worst


def test_leak_threshold_separates_paraphrases_from_unrelated_pairs():
    from sme_ai.tune.leak import THRESHOLD, dev_rows, measure

    m = measure(dev_rows(DEV))
    assert m["paraphrase_min"] > THRESHOLD > m["unrelated_p99"], m


def test_leak_check_catches_a_traditional_rewrite():
    from sme_ai.tune.leak import LeakCheck

    check = LeakCheck(["到2027年，中小企业上云率要达到多少？"])
    assert check.leaks("到2027年，中小企業上雲率要達到多少？")
    assert not check.leaks("东莞的试点专项资金每家企业最多补多少？")


def test_the_same_seed_builds_the_same_data(tmp_path):
    from sme_ai.config import Settings
    from sme_ai.tune import data
    from sme_ai.tune.corpus import corpus_retriever

    settings = Settings(data_dir=tmp_path / "kb", home=tmp_path / "home", embedder="hash", vector_store="memory")
    chunks, search = corpus_retriever(settings, tmp_path / "kb", ROOT / "corpora" / "policy")
    runs = [[e["question"] + e["target"] for _, _, e in data.build(chunks, search, DEV, data.Options(n=30))]
            for _ in range(2)]
    assert runs[0] == runs[1] and len(runs[0]) >= 25


# --- the GGUF adapter writer -------------------------------------------------------------------------------------

QWEN_TINY = {"model_type": "qwen2", "num_hidden_layers": 2, "hidden_size": 16, "num_key_value_heads": 1,
             "num_attention_heads": 2}


def _fake_peft_adapter(folder: Path, r=4, alpha=8.0, layers=(0, 1)):
    """An adapter folder as peft writes it (names, layouts), without loading any model."""
    from safetensors.numpy import save_file

    rng = np.random.default_rng(0)
    shapes = {"q_proj": (16, 16), "k_proj": (8, 16), "v_proj": (8, 16), "o_proj": (16, 16)}  # (out, in)
    tensors = {}
    for layer in layers:
        for mod, (out_f, in_f) in shapes.items():
            base = f"base_model.model.model.layers.{layer}.self_attn.{mod}"
            tensors[f"{base}.lora_A.weight"] = rng.standard_normal((r, in_f)).astype(np.float32)
            tensors[f"{base}.lora_B.weight"] = rng.standard_normal((out_f, r)).astype(np.float32)
    folder.mkdir(parents=True)
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(json.dumps({"r": r, "lora_alpha": alpha, "peft_type": "LORA"}))
    return tensors


def test_adapter_writer_names_shapes_and_metadata(tmp_path):
    from sme_ai.tune.export import export_gguf, read_gguf_adapter

    tensors = _fake_peft_adapter(tmp_path / "adapter", layers=(1,))
    dest = export_gguf(tmp_path / "adapter", QWEN_TINY, tmp_path / "lora.gguf")
    meta, shapes = read_gguf_adapter(dest)
    assert meta["general.architecture"] == "qwen2" and meta["general.type"] == "adapter"
    assert meta["adapter.type"] == "lora" and meta["adapter.lora.alpha"] == pytest.approx(8.0)
    assert set(shapes) == {f"blk.1.{t}.weight.lora_{ab}" for t in ("attn_q", "attn_k", "attn_v", "attn_output")
                           for ab in "ab"}
    # ggml ne order, as llama.cpp checks them: a = [in, r], b = [r, out]; the base tensor is [in, out]
    assert shapes["blk.1.attn_k.weight.lora_a"] == (16, 4) and shapes["blk.1.attn_k.weight.lora_b"] == (4, 8)
    import gguf

    reader = gguf.GGUFReader(str(dest))
    got = {t.name: np.array(t.data) for t in reader.tensors}
    assert np.array_equal(got["blk.1.attn_q.weight.lora_b"],
                          tensors["base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight"])


def test_adapter_writer_refuses_an_unpermuted_llama_and_stray_tensors(tmp_path):
    from safetensors.numpy import save_file

    from sme_ai.tune.export import AdapterExportError, export_gguf

    _fake_peft_adapter(tmp_path / "a")
    with pytest.raises(AdapterExportError, match="architecture"):
        export_gguf(tmp_path / "a", {**QWEN_TINY, "model_type": "llama"}, tmp_path / "x.gguf")
    save_file({"base_model.model.lm_head.weight": np.zeros((4, 4), np.float32)}, str(tmp_path / "a" / "adapter_model.safetensors"))
    with pytest.raises(AdapterExportError, match="unexpected tensor"):
        export_gguf(tmp_path / "a", QWEN_TINY, tmp_path / "x.gguf")


# --- the card and the CLI -----------------------------------------------------------------------------------------

def test_model_card_fills_eval_from_reports_and_marks_missing_ones(tmp_path):
    from sme_ai.tune.card import PLACEHOLDER, render_card

    report = {"answers": {"summary": {"key_fact_accuracy": 0.5, "refusal_accuracy": 0.8, "invented_numbers": 2,
                                      "latency_ms": {"first_token_p50": 900.0, "total_p50": 3000.0}}}}
    (tmp_path / "before.json").write_text(json.dumps(report))
    common = dict(name="t", base_model="qwen2.5-coder-0.5b", base_sha256="ab" * 32, adapter_file="a.gguf",
                  adapter_sha256="cd" * 32, manifest={"examples": 1200, "sha256": "ef" * 32, "refusal_share": 0.3},
                  train_config={"r": 16, "lr": 2e-4}, train_seconds=5400.0, steps=150, final_loss=0.8)
    card = render_card(**common, eval_before=tmp_path / "before.json")
    assert "ab" * 32 in card and "ef" * 32 in card and "| r | 16 |" in card and "90.0 min" in card
    assert "| key_fact_accuracy | 0.500 | — |" in card and "| first_token_p50 | 900.000 | — |" in card
    assert PLACEHOLDER in render_card(**common)


def test_cli_has_the_tune_commands():
    from sme_ai.cli import build_parser

    p = build_parser()
    args = p.parse_args(["tune", "train", "--data", "x.jsonl", "--max-steps", "5", "--top-layers", "4"])
    assert args.max_steps == 5 and args.top_layers == 4 and args.func.__name__ == "cmd_train"
    assert p.parse_args(["tune", "data", "-n", "1000"]).n == 1000


def test_the_card_names_the_model_the_run_was_trained_on_not_the_settings_default(tmp_path):
    """The ninth session's card said "for qwen2.5-coder-1.5b" (the settings' default) for an adapter of the 0.5B."""
    from sme_ai.generate.transformers_backend import folder_for
    from sme_ai.tune.base import trained_on

    config = {"base": str(folder_for("qwen2.5-coder-0.5b", tmp_path)), "r": 16}
    assert trained_on(config, tmp_path) == "qwen2.5-coder-0.5b"
    assert trained_on({"base": str(tmp_path / "my-own-model")}, tmp_path) == ""  # a folder of the user's own


def test_tune_card_cli_describes_the_runs_base_model(tmp_path, monkeypatch):
    import sme_ai.tune.base as base
    from sme_ai.cli import main
    from sme_ai.generate.transformers_backend import folder_for

    home = tmp_path / "home"
    monkeypatch.setenv("SME_AI_HOME", str(home))
    monkeypatch.setattr(base, "base_gguf", lambda name, _home: (tmp_path / f"{name}.gguf", name.encode().hex()[:64]))
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"base": str(folder_for("qwen2.5-coder-0.5b", home)), "r": 16}))
    (tmp_path / "manifest.json").write_text(json.dumps({"examples": 10, "sha256": "ef" * 32, "refusal_share": 0.3}))
    (tmp_path / "a.gguf").write_bytes(b"adapter")
    out = tmp_path / "CARD.md"
    assert main(["tune", "card", "--run", str(run), "--manifest", str(tmp_path / "manifest.json"),
                 "--adapter", str(tmp_path / "a.gguf"), "-o", str(out)]) == 0
    card = out.read_text(encoding="utf-8")
    assert "| base model | qwen2.5-coder-0.5b |" in card and "1.5b" not in card
