"""LoRA training with peft on the transformers backend: resumable, seeded, with the loss per step.

`train` is a generator of `Step`s (the CLI draws the bar); it writes, under the output folder,
`checkpoints/step-NNNNN/` (the adapter, optimizer, scheduler and RNG state: a killed run resumes from the newest),
`adapter/` (the final peft adapter), `loss.json` and `loss.png`. Only the answer's tokens carry loss: the prompt —
the system prompt, the passages and the question, exactly as the product builds them — is context.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

@dataclass
class TrainConfig:
    """Defaults: the CPU configuration for the 0.5B on a 2-core machine (the top 8 of 24 layers adapted, batch 1 ×
    8 accumulated, 55 optimizer steps = 440 examples, and a hard stop at 88 minutes: a checkpoint and the adapter
    are written whenever it stops). Measured on an AVX2-only 2-core EPYC: 132–143 s per optimizer step (8 examples,
    ~6,300 tokens, 44–48 tokens/s) with the machine to itself, 162 s on average with other work beside it, so the
    88-minute stop ends the run after 33 steps (264 examples). Re-measure with `--max-steps 2` before a real run and
    set --max-steps so the schedule ends inside the time limit."""

    r: int = 16
    alpha: float = 32.0
    dropout: float = 0.05
    targets: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    top_layers: int = 8  # adapt only the last N layers (0: all); the frozen lower layers need no backward pass
    lr: float = 2e-4
    warmup: int = 10
    epochs: float = 1.0
    max_steps: int = 55  # optimizer steps; 0: from epochs
    max_minutes: float = 88.0  # stop after the step that passes this (0: no limit)
    accumulate: int = 8
    max_len: int = 1024  # the product's prompts are 830 tokens (median; p90 890, max 984): system + passages + question
    seed: int = 1234
    threads: int = 2
    save_every: int = 20
    device: str = "cpu"
    init_lora_weights: bool = True  # False: random B as well (tests: an adapter that visibly changes the output)

    @classmethod
    def for_gpu(cls) -> "TrainConfig":
        return cls(top_layers=0, accumulate=4, epochs=2.0, max_steps=0, max_minutes=0.0, threads=8, save_every=50,
                   device="cuda")


@dataclass
class Step:
    step: int
    total: int
    loss: float
    seconds: float  # wall time of this optimizer step
    tokens: int  # tokens forwarded in this step
    resumed_from: int = 0
    history: list[float] = field(default_factory=list)


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def encode(tok, messages: list[dict], max_len: int) -> tuple[list[int], list[int]] | None:
    """Token ids and labels (-100 over the prompt); None when the prompt alone does not fit."""
    prompt = tok.apply_chat_template(messages[:-1], add_generation_prompt=True, tokenize=True)
    full = tok.apply_chat_template(messages, tokenize=True)
    prompt, full = list(getattr(prompt, "input_ids", prompt)), list(getattr(full, "input_ids", full))
    if full[: len(prompt)] != prompt or len(prompt) >= max_len:
        return None
    full = full[:max_len]
    return full, [-100] * len(prompt) + full[len(prompt):]  # at least one answer token: len(prompt) < max_len


def answer_loss(model, ids: list[int], labels: list[int], device: str):
    """Cross-entropy over the answer's tokens, with the output layer computed for those positions only
    (`logits_to_keep`): its 151,936-word matrix over the ~700 prompt positions was a third of a step's work."""
    import torch

    first = next(i for i, t in enumerate(labels) if t != -100)  # the answer starts here
    keep = len(ids) - first + 1  # the logits at first-1 … len-1 predict the answer's tokens (and nothing after)
    x = torch.tensor([ids], device=device)
    logits = model(input_ids=x, logits_to_keep=keep).logits[0, :-1]
    target = torch.tensor(labels[first:], device=device)
    return torch.nn.functional.cross_entropy(logits.float(), target)


def load_examples(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def wrap_lora(model, cfg: TrainConfig):
    from peft import LoraConfig, get_peft_model

    n_layers = model.config.num_hidden_layers
    layers = list(range(n_layers - cfg.top_layers, n_layers)) if cfg.top_layers else None
    lc = LoraConfig(r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout, target_modules=list(cfg.targets),
                    layers_to_transform=layers, bias="none", task_type="CAUSAL_LM",
                    init_lora_weights=cfg.init_lora_weights)
    return get_peft_model(model, lc)


def _latest(ckpts: Path) -> Path | None:
    found = sorted(ckpts.glob("step-*"), key=lambda p: int(p.name.split("-")[1])) if ckpts.is_dir() else []
    return found[-1] if found else None


def _save(out: Path, model, opt, sched, step: int, history: list[float], order: list[int]) -> None:
    import torch

    final = out / "checkpoints" / f"step-{step:05d}"
    tmp = final.with_name(final.name + ".partial")
    model.save_pretrained(str(tmp))
    torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "step": step, "history": history,
                "order": order, "torch_rng": torch.get_rng_state(), "py_rng": random.getstate()}, tmp / "state.pt")
    tmp.rename(final)
    for old in sorted((out / "checkpoints").glob("step-*"))[:-2]:  # keep the newest two
        import shutil

        shutil.rmtree(old, ignore_errors=True)


def plot_loss(history: list[float], path: Path, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(range(1, len(history) + 1), history, lw=1, label="loss")
    if len(history) >= 10:
        w = max(5, len(history) // 20)
        smooth = [sum(history[max(0, i - w + 1): i + 1]) / len(history[max(0, i - w + 1): i + 1]) for i in range(len(history))]
        ax.plot(range(1, len(history) + 1), smooth, lw=2, label=f"mean of {w}")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (answer tokens)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def train(folder: Path, data: Path, out: Path, cfg: TrainConfig) -> Iterator[Step]:
    """Train (or resume) a LoRA adapter on `data` from the model folder `folder`; yields one Step per optimizer step."""
    import torch
    from peft import PeftModel

    from sme_ai.tune.base import load_for_training

    torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    out.mkdir(parents=True, exist_ok=True)
    model, tok = load_for_training(folder, cfg.device)
    examples = load_examples(data)
    encoded = [e for e in (encode(tok, ex["messages"], cfg.max_len) for ex in examples) if e]
    if len(encoded) < len(examples):
        log.warning("%d of %d examples do not fit in max_len=%d tokens and are left out",
                    len(examples) - len(encoded), len(examples), cfg.max_len)
    per_epoch = math.ceil(len(encoded) / cfg.accumulate)
    total = cfg.max_steps or max(1, round(per_epoch * cfg.epochs))
    last = _latest(out / "checkpoints")
    if last is not None:
        model = PeftModel.from_pretrained(model, str(last), is_trainable=True)
        state = torch.load(last / "state.pt", weights_only=False)
    else:
        model, state = wrap_lora(model, cfg), None
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(1, cfg.warmup)) * max(0.05, 1 - s / max(1, total)))
    rng = random.Random(cfg.seed)
    order = [i for _ in range(math.ceil(total * cfg.accumulate / max(1, len(encoded))) + 1)
             for i in rng.sample(range(len(encoded)), len(encoded))]
    step, history = 0, []
    if state is not None:
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        step, history, order = state["step"], state["history"], state["order"]
        torch.set_rng_state(state["torch_rng"])
        random.setstate(state["py_rng"])
    resumed = step
    (out / "config.json").write_text(json.dumps({**asdict(cfg), "examples": len(encoded), "examples_in_file": len(examples),
                                                 "total_steps": total,
                                                 "base": str(folder), "data": str(data)}, indent=1), encoding="utf-8")
    started = time.perf_counter()
    while step < total:
        t0, losses, tokens = time.perf_counter(), [], 0
        for j in range(cfg.accumulate):
            ids, labels = encoded[order[(step * cfg.accumulate + j) % len(order)]]
            loss = answer_loss(model, ids, labels, cfg.device)
            (loss / cfg.accumulate).backward()
            losses.append(float(loss.detach()))
            tokens += len(ids)
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        history.append(sum(losses) / len(losses))
        out_of_time = cfg.max_minutes and time.perf_counter() - started > 60 * cfg.max_minutes
        if step % cfg.save_every == 0 or step == total or out_of_time:
            _save(out, model, opt, sched, step, history, order)
        yield Step(step, total, history[-1], time.perf_counter() - t0, tokens, resumed, history)
        if out_of_time:
            break
    model.save_pretrained(str(out / "adapter"))
    (out / "loss.json").write_text(json.dumps(history), encoding="utf-8")
    plot_loss(history, out / "loss.png", title=f"LoRA r={cfg.r} on {Path(folder).parent.name}")
