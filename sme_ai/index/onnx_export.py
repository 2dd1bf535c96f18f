"""A sentence-transformers folder of EmbeddingGemma's shape exported once to an ONNX graph (float32, the same vectors
to ~1e-6), so that `OnnxEmbedder` embeds through ONNX Runtime without torch.

Why: on a 2-core AVX2 EPYC a dev question's query vector took 246 ms p50 in torch and 113 ms in ONNX Runtime, with
cosine 1.00000 to the torch vectors (60 dev questions; `evals/bench_embed.py` has the whole comparison).

The graph is the whole sentence-transformers pipeline: Gemma3 encoder (bidirectional attention) → mean pooling over
every token (the prompt's included, as the folder's pooling config says) → the Dense layers → L2 normalisation. Its
inputs are `input_ids` and `attention_mask` (batch × sequence, both dynamic). transformers 5 builds its attention
masks with `vmap`, which the exporter cannot trace, so the masks are made here and handed to the model the way it
accepts prepared ones (a dict per attention type). The export runs torch's TorchScript-based exporter (`dynamo=False`,
which needs the `onnx` package); it checks the graph against the torch model before the file is moved into place.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path

from sme_ai.errors import OnnxExportError

log = logging.getLogger(__name__)

GRAPH = "model.onnx"
STAMP = "export.json"
MAX_DIFF = 1e-4  # the exported graph's vectors against torch's on the check texts; measured ~2e-7
_CHECK_TEXTS = ("task: search result | query: 中小企业上云率目标是多少",
                "title: none | text: 到2027年，中小企业上云率超过40%，规上工业中小企业关键工序数控化率达到75%。",
                "title: none | text: 短")


def supports(folder: Path) -> bool:
    """The folder is a sentence-transformers model this exporter knows: a Gemma3 encoder with bidirectional
    attention, mean pooling, Dense layers without activation, normalisation (EmbeddingGemma)."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
        dense = [json.loads((folder / m["path"] / "config.json").read_text(encoding="utf-8"))
                 for m in modules if m["type"].endswith("Dense")]
    except (OSError, ValueError, KeyError, IndexError):
        return False
    return (config.get("model_type") == "gemma3_text" and bool(config.get("use_bidirectional_attention"))
            and kinds[:2] == ["Transformer", "Pooling"] and kinds[-1] == "Normalize"
            and set(kinds[2:-1]) <= {"Dense"} and pooling.get("pooling_mode_mean_tokens") is True
            and all(d.get("activation_function", "").endswith("Identity") for d in dense))


def source_key(folder: Path) -> dict:
    """What the export was made from: the folder and its weights file's size and time (a changed folder exports
    again)."""
    weights = folder / "model.safetensors"
    st = weights.stat() if weights.exists() else None
    return {"folder": str(folder.resolve()), "size": st.st_size if st else None,
            "mtime_ns": st.st_mtime_ns if st else None}


def is_current(target: Path, folder: Path) -> bool:
    try:
        stamp = json.loads((target / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return stamp.get("source") == source_key(folder) and (target / GRAPH).is_file()


def export(folder: Path, target: Path) -> Path:
    """Export `folder` into the directory `target` (model.onnx + export.json), atomically: a failed or interrupted
    export leaves no graph behind. Returns the graph's path."""
    if not supports(folder):
        raise OnnxExportError(folder, "not a sentence-transformers folder of EmbeddingGemma's shape")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        t0 = time.perf_counter()
        diff = _export_graph(folder, work / GRAPH)
        stamp = {"source": source_key(folder), "max_abs_diff": diff, "seconds": round(time.perf_counter() - t0, 1)}
        (work / STAMP).write_text(json.dumps(stamp, indent=1), encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("exported %s to ONNX in %.0f s (max |diff| %.1e)", folder, stamp["seconds"], diff)
    return target / GRAPH


def _export_graph(folder: Path, out: Path) -> float:
    try:
        import numpy as np
        import onnx  # noqa: F401 - the TorchScript-based exporter writes through it
        import onnxruntime as ort
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        raise OnnxExportError(folder, f"{e.name} is not installed (pip install torch onnx onnxruntime)") from e
    st = SentenceTransformer(str(folder), device="cpu", local_files_only=True,
                             model_kwargs={"dtype": torch.float32, "attn_implementation": "eager"}).eval()
    graph = _pipeline(st).eval()
    batch = st.tokenizer(list(_CHECK_TEXTS), padding=True, return_tensors="pt")
    with torch.no_grad():
        torch.onnx.export(graph, (batch["input_ids"], batch["attention_mask"]), str(out), dynamo=False,
                          input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                        "attention_mask": {0: "batch", 1: "sequence"},
                                        "sentence_embedding": {0: "batch"}}, opset_version=18)
        expected = st.encode(list(_CHECK_TEXTS), normalize_embeddings=True, convert_to_numpy=True)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = session.run(None, {k: v.numpy() for k, v in batch.items() if k in ("input_ids", "attention_mask")})[0]
    diff = float(np.abs(got - expected).max())
    if not diff <= MAX_DIFF:
        raise OnnxExportError(folder, f"the exported graph differs from the torch model by {diff:.2e}")
    return diff


def _pipeline(st):
    """The torch module that is exported (defined here, so that importing this module never imports torch)."""
    import torch

    class Pipeline(torch.nn.Module):
        """input_ids, attention_mask → unit-length sentence embeddings, as `SentenceTransformer.encode` gives."""

        def __init__(self, st):
            super().__init__()
            self.encoder = st[0].auto_model
            self.dense = torch.nn.ModuleList(m.linear for m in list(st)[2:-1])
            self.window = self.encoder.config.sliding_window

        def forward(self, input_ids, attention_mask):
            n = input_ids.shape[1]
            keep = attention_mask[:, None, None, :].bool()  # batch × 1 × 1 × keys: padding is never attended
            pos = torch.arange(n, device=input_ids.device)
            near = ((pos[None, :] - pos[:, None]).abs() < self.window)[None, None]  # bidirectional sliding window
            zero, neg = torch.zeros((), dtype=torch.float32), torch.finfo(torch.float32).min
            masks = {"full_attention": torch.where(keep & torch.ones_like(near), zero, neg),
                     "sliding_attention": torch.where(keep & near, zero, neg)}
            hidden = self.encoder(input_ids=input_ids, attention_mask=masks).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            vec = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            for layer in self.dense:
                vec = layer(vec)
            return torch.nn.functional.normalize(vec, dim=-1)

    return Pipeline(st)
