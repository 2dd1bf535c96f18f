"""`sme-ai tune data|train|export|card`: the retrieval-aware LoRA pipeline (sme_ai.tune), thin wrappers."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from sme_ai.cli.common import Bars, settings_from


def cmd_data(args) -> int:
    from tqdm import tqdm

    from sme_ai.tune import data
    from sme_ai.tune.corpus import corpus_retriever
    from sme_ai.tune.leak import THRESHOLD

    settings = settings_from(args)
    kb_dir = Path(args.kb_dir) if args.kb_dir else settings.home / "tune" / "kb"
    bars = Bars()
    try:
        chunks, search = corpus_retriever(settings, kb_dir, Path(args.corpus) if args.corpus else None, progress=bars)
    finally:
        bars.close()
    opt = data.Options(n=args.n, seed=args.seed, top_k=settings.top_k, context_chars=settings.context_chars,
                       context_passages=settings.context_passages, prompts_dir=settings.prompts_dir,
                       model_context=settings.model_context,
                       evidence_sentences=settings.model_evidence_sentences)
    t0, examples, embed_bars = time.perf_counter(), [], Bars()
    with tqdm(total=opt.n, desc="训练样本", unit="条", file=sys.stderr) as bar:
        for done, _, example in data.build(chunks, search, Path(args.dev), opt, progress=embed_bars):
            examples.append(example)
            bar.update(done - bar.n)
    embed_bars.close()
    extra = {"chunks": len(chunks), "embedder": settings.embedder, "embedder_model": settings.embedder_model,
             "leak_threshold": THRESHOLD, "dev_set": args.dev, "build_seconds": round(time.perf_counter() - t0, 1)}
    manifest = data.write(examples, Path(args.out), opt, extra)
    print(json.dumps(manifest, ensure_ascii=False, indent=1))
    return 0 if manifest["examples"] >= min(args.n, 1000) else 1


def cmd_train(args) -> int:
    from tqdm import tqdm

    from sme_ai.tune.base import ensure_hf_folder
    from sme_ai.tune.train import TrainConfig, train

    cfg = TrainConfig.for_gpu() if args.gpu else TrainConfig()
    for key in ("r", "alpha", "top_layers", "lr", "epochs", "max_steps", "max_minutes", "accumulate", "max_len", "seed",
                "threads", "save_every"):
        if getattr(args, key) is not None:
            setattr(cfg, key, getattr(args, key))
    settings = settings_from(args)
    folder = Path(args.base) if args.base else ensure_hf_folder(settings.llm_model, settings.home)
    bar, stats = None, []
    for s in train(folder, Path(args.data), Path(args.out), cfg):
        if bar is None:
            bar = tqdm(total=s.total, initial=s.resumed_from, desc="LoRA", unit="step", file=sys.stderr)
        stats.append(s)
        bar.update(1)
        bar.set_postfix(loss=f"{s.loss:.3f}", s_per_step=f"{s.seconds:.1f}", tok_s=f"{s.tokens / s.seconds:.0f}")
    if bar:
        bar.close()
    timed = stats[1:] or stats  # the first step pays for warm-up
    summary = {"steps": len(stats), "seconds_per_step": sum(s.seconds for s in timed) / max(1, len(timed)),
               "tokens_per_second": sum(s.tokens for s in timed) / max(1e-9, sum(s.seconds for s in timed)),
               "train_seconds": sum(s.seconds for s in stats), "final_loss": stats[-1].loss if stats else None}
    (Path(args.out) / "timing.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(json.dumps(summary, indent=1))
    return 0


def cmd_export(args) -> int:
    from sme_ai.tune.export import export_gguf

    base_config = json.loads((Path(args.base_config)).read_text(encoding="utf-8"))
    dest = export_gguf(Path(args.adapter), base_config, Path(args.out))
    from sme_ai.models import sha256_file

    print(f"{dest}\tsha256 {sha256_file(dest)}\t{dest.stat().st_size} bytes")
    return 0


def cmd_card(args) -> int:
    from sme_ai.models import sha256_file
    from sme_ai.tune.base import base_gguf, trained_on
    from sme_ai.tune.card import write_card

    settings = settings_from(args)
    run = Path(args.run)
    timing = json.loads((run / "timing.json").read_text()) if (run / "timing.json").is_file() else {}
    train_config = json.loads((run / "config.json").read_text())
    manifest = json.loads(Path(args.manifest).read_text(encoding="utf-8"))
    base_model = trained_on(train_config, settings.home) or settings.llm_model
    _, base_sha = base_gguf(base_model, settings.home)
    adapter = Path(args.adapter)
    dest = write_card(Path(args.out), name=args.name, base_model=base_model, base_sha256=base_sha,
                      adapter_file=adapter.name, adapter_sha256=sha256_file(adapter), manifest=manifest,
                      train_config=train_config, steps=timing.get("steps", 0),
                      train_seconds=timing.get("train_seconds"), final_loss=timing.get("final_loss"),
                      eval_before=Path(args.eval_before) if args.eval_before else None,
                      eval_after=Path(args.eval_after) if args.eval_after else None)
    print(dest)
    return 0


def add_command(sub) -> None:
    s = sub.add_parser("tune", help="the industry-tuned model: training data, LoRA training, GGUF export, model card")
    t = s.add_subparsers(dest="action", required=True)

    d = t.add_parser("data", help="build RAFT training examples from the shipped corpus (JSONL + manifest)")
    d.add_argument("-n", type=int, default=1260, help=(
        "examples to ask for (at least 1,000 for a real run): the shipped corpus yields about 690 answerable ones, "
        "so 1,260 asks for a quarter refusals (315) and gets about 1,000, three in ten refusals"))
    d.add_argument("--out", default="tune-data")
    d.add_argument("--dev", default="evals/dev.jsonl", help="the dev set no question may paraphrase")
    d.add_argument("--kb-dir", help="knowledge base for the corpus (default: <home>/tune/kb; ingested once)")
    d.add_argument("--corpus", help="corpus folder (default: the shipped corpora/)")
    d.add_argument("--seed", type=int, default=20251201)
    d.set_defaults(func=cmd_data)

    r = t.add_parser("train", help="LoRA (peft) on the transformers backend from the catalog GGUF; resumes")
    r.add_argument("--data", required=True, help="examples.jsonl from `tune data`")
    r.add_argument("--out", default="tune-run")
    r.add_argument("--base", help="a transformers model folder (default: --llm-model's GGUF, converted once)")
    r.add_argument("--gpu", action="store_true", help="the GPU configuration (all layers, bf16)")
    for name, typ in (("r", int), ("alpha", float), ("top-layers", int), ("lr", float), ("epochs", float),
                      ("max-steps", int), ("max-minutes", float), ("accumulate", int), ("max-len", int), ("seed", int), ("threads", int),
                      ("save-every", int)):
        r.add_argument(f"--{name}", type=typ, dest=name.replace("-", "_"))
    r.set_defaults(func=cmd_train)

    e = t.add_parser("export", help="write a trained peft adapter as a GGUF LoRA adapter for llama.cpp")
    e.add_argument("adapter", help="the adapter folder (tune-run/adapter)")
    e.add_argument("--base-config", required=True, help="the base model folder's config.json")
    e.add_argument("-o", "--out", required=True, help="the .gguf file to write")
    e.set_defaults(func=cmd_export)

    c = t.add_parser("card", help="write the model card (markdown) of an exported adapter")
    c.add_argument("--run", required=True, help="the training output folder")
    c.add_argument("--manifest", required=True)
    c.add_argument("--adapter", required=True, help="the exported .gguf")
    c.add_argument("--name", default="sme-ai-lora")
    c.add_argument("--eval-before", help="eval report JSON of the base model")
    c.add_argument("--eval-after", help="eval report JSON of the tuned model")
    c.add_argument("-o", "--out", required=True)
    c.set_defaults(func=cmd_card)
