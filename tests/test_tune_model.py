"""The tuning pipeline with weights (the `model` tier): training plumbing on a tiny random Qwen2 (checkpoints,
resume, loss curve, export of what peft trained), and llama.cpp-vs-peft agreement on the real 0.5B with an
adapter trained here for a few steps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.model

EXAMPLE = {"messages": [{"role": "system", "content": "中小企业 数字化 转型"},
                        {"role": "user", "content": "上云 目标 超过 多少"},
                        {"role": "assistant", "content": "超过 40% 到 2027 年"}]}


def build_tiny_qwen(folder: Path) -> Path:
    import torch
    from tiny_llm import CHAT_TEMPLATE, TEXT
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator([TEXT] * 3, trainers.WordLevelTrainer(special_tokens=["<unk>", "<pad>", "<|im_start|>", "<|im_end|>"]))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="<|im_end|>")
    fast.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                         pad_token_id=fast.pad_token_id, eos_token_id=fast.eos_token_id)
    Qwen2ForCausalLM(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


@pytest.fixture
def tiny(tmp_path):
    folder = build_tiny_qwen(tmp_path / "tiny-qwen2")
    data = tmp_path / "examples.jsonl"
    data.write_text("\n".join(json.dumps(EXAMPLE, ensure_ascii=False) for _ in range(6)), encoding="utf-8")
    return folder, data


def test_train_checkpoints_resume_and_plot(tiny, tmp_path):
    from sme_ai.tune.train import TrainConfig, train

    folder, data = tiny
    cfg = TrainConfig(top_layers=2, accumulate=2, max_steps=4, save_every=2, lr=1e-2, threads=1)
    out = tmp_path / "run"
    first = []
    for s in train(folder, data, out, cfg):
        first.append(s)
        if s.step == 2:
            break  # killed after the checkpoint of step 2
    assert (out / "checkpoints" / "step-00002" / "adapter_model.safetensors").is_file()
    rest = list(train(folder, data, out, cfg))
    assert [s.step for s in rest] == [3, 4] and rest[0].resumed_from == 2
    assert len(rest[-1].history) == 4 and rest[-1].history[:2] == [s.loss for s in first]
    assert (out / "loss.png").stat().st_size > 1000 and (out / "adapter" / "adapter_config.json").is_file()
    cfg_json = json.loads((out / "adapter" / "adapter_config.json").read_text())
    assert sorted(cfg_json["layers_to_transform"]) == [1, 2]  # only the top layers are adapted


def test_same_seed_same_losses(tiny, tmp_path):
    from sme_ai.tune.train import TrainConfig, train

    folder, data = tiny
    cfg = TrainConfig(top_layers=0, accumulate=2, max_steps=2, threads=1, dropout=0.1)
    a = [s.loss for s in train(folder, data, tmp_path / "a", cfg)]
    b = [s.loss for s in train(folder, data, tmp_path / "b", cfg)]
    assert a == b


def test_export_of_a_trained_adapter_matches_peft_shapes(tiny, tmp_path):
    from sme_ai.tune.export import export_gguf, read_gguf_adapter
    from sme_ai.tune.train import TrainConfig, train

    folder, data = tiny
    list(train(folder, data, tmp_path / "run", TrainConfig(top_layers=1, accumulate=1, max_steps=1, threads=1)))
    config = json.loads((folder / "config.json").read_text())
    meta, shapes = read_gguf_adapter(export_gguf(tmp_path / "run" / "adapter", config, tmp_path / "a.gguf"))
    assert meta["adapter.lora.alpha"] == pytest.approx(32.0)
    kv = config["num_key_value_heads"] * config["hidden_size"] // config["num_attention_heads"]
    assert shapes == {"blk.2.attn_q.weight.lora_a": (32, 16), "blk.2.attn_q.weight.lora_b": (16, 32),
                      "blk.2.attn_k.weight.lora_a": (32, 16), "blk.2.attn_k.weight.lora_b": (16, kv),
                      "blk.2.attn_v.weight.lora_a": (32, 16), "blk.2.attn_v.weight.lora_b": (16, kv),
                      "blk.2.attn_output.weight.lora_a": (32, 16), "blk.2.attn_output.weight.lora_b": (16, 32)}


# --- the real 0.5B: what llama.cpp serves with lora_path is what peft trained ---------------------------------

PROMPTS = ("到2027年中小企业上云率的目标是多少？", "什么是专精特新“小巨人”企业？", "城市试点的中央财政奖励有多少？")


def _prompt_ids(tok, chat) -> list[int]:
    ids = tok.apply_chat_template(chat, add_generation_prompt=True, tokenize=True)
    return list(getattr(ids, "input_ids", ids))


def _peft_next(model, ids, n):
    """Logits of the next token, and n greedy tokens."""
    import torch

    x = torch.tensor([ids])
    with torch.no_grad():
        logits = model(input_ids=x).logits[0, -1].float().numpy()
        out = model.generate(input_ids=x, attention_mask=torch.ones_like(x), max_new_tokens=n, do_sample=False,
                             repetition_penalty=1.0, top_k=None, top_p=None, temperature=None)
    return logits, out[0, len(ids):].tolist()


def _llama_next(llm, ids, n):
    import numpy as np

    llm.reset()
    llm.eval(ids)
    logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
    llm.reset()
    out = []
    for t in llm.generate(ids, temp=0.0, top_k=1, repeat_penalty=1.0):
        out.append(int(t))
        if len(out) == n:
            break
    return logits, out


def test_llama_cpp_with_the_gguf_adapter_agrees_with_peft(tmp_path):
    """An adapter trained here for two steps on the real 0.5B (random B, so it visibly moves the output),
    exported, and served by llama.cpp with lora_path on the catalog GGUF: the change the adapter makes to the
    next-token logits points the same way in both (a transposed or misnamed tensor would not), and the greedy
    first tokens are the same."""
    import numpy as np
    from conftest import require_model

    pytest.importorskip("llama_cpp")
    pytest.importorskip("peft")
    from llama_cpp import Llama
    from peft import PeftModel

    from sme_ai.config import Settings
    from sme_ai.tune.base import ensure_hf_folder, load_for_training
    from sme_ai.tune.export import export_gguf
    from sme_ai.tune.train import TrainConfig, train

    gguf = require_model("qwen2.5-coder-0.5b")
    folder = ensure_hf_folder("qwen2.5-coder-0.5b", Settings().home)
    data = tmp_path / "examples.jsonl"
    msgs = [{"role": "user", "content": "到2027年中小企业上云率目标？"}, {"role": "assistant", "content": "超过40%[1]。"}]
    data.write_text(json.dumps({"messages": msgs}, ensure_ascii=False), encoding="utf-8")
    cfg = TrainConfig(top_layers=2, accumulate=1, max_steps=2, lr=1e-4, init_lora_weights=False, r=4, alpha=2.0)
    list(train(folder, data, tmp_path / "run", cfg))
    adapter = export_gguf(tmp_path / "run" / "adapter", json.loads((folder / "config.json").read_text()),
                          tmp_path / "lora.gguf")

    base, tok = load_for_training(folder)
    model = PeftModel.from_pretrained(base, str(tmp_path / "run" / "adapter")).eval()
    prompts = [_prompt_ids(tok, [{"role": "user", "content": p}]) for p in PROMPTS]
    n = 6
    tuned_hf = [_peft_next(model, ids, n) for ids in prompts]
    with model.disable_adapter():
        plain_hf = [_peft_next(model, ids, n) for ids in prompts]
    del model, base
    kw = dict(model_path=str(gguf), n_ctx=512, n_threads=2, verbose=False, logits_all=True)  # scores stay 0 without
    llm = Llama(**kw)
    plain_cpp = [_llama_next(llm, ids, n) for ids in prompts]
    del llm
    llm = Llama(**kw, lora_path=str(adapter))
    tuned_cpp = [_llama_next(llm, ids, n) for ids in prompts]

    report = {"peft": [tok.decode(t[1]) for t in tuned_hf], "llama.cpp": [tok.decode(t[1]) for t in tuned_cpp],
              "untuned": [tok.decode(t[1]) for t in plain_hf]}
    moved, cosines = [], []
    for (th, _), (ph, _), (tc, _), (pc, _) in zip(tuned_hf, plain_hf, tuned_cpp, plain_cpp):
        d_hf, d_cpp = th - ph, tc - pc
        moved.append(float(np.abs(d_hf).max()))
        cosines.append(float(d_hf @ d_cpp / (np.linalg.norm(d_hf) * np.linalg.norm(d_cpp))))
    report.update(moved=moved, cosines=cosines)
    print(report)
    assert min(moved) > 0.5, ("the adapter barely moves the logits: the comparison would prove nothing", report)
    assert min(cosines) > 0.9, report
    assert [t[1][0] for t in tuned_hf] == [t[1][0] for t in tuned_cpp], report
    assert sum(h[1][:3] == c[1][:3] for h, c in zip(tuned_hf, tuned_cpp)) >= len(PROMPTS) - 1, report
