"""The base weights for tuning: the catalog GGUF the product serves, loaded through transformers once (it
dequantises everything: about a minute for the 0.5B) and kept as a safetensors folder beside it, the folder the
transformers backend serves from (`folder_for`). transformers refuses `save_pretrained` on a GGUF-loaded model, so
config, generation config, tokenizer and weights are written one by one."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from sme_ai.errors import MissingExtraError
from sme_ai.generate.transformers_backend import folder_for

log = logging.getLogger(__name__)


def _imports():
    try:
        import torch
        import transformers
    except ImportError as e:
        raise MissingExtraError(e.name or "transformers", "transformers") from e
    return torch, transformers


def base_gguf(name: str, home: Path) -> tuple[Path, str]:
    """The verified catalog GGUF and its sha256 (or a user's own GGUF file, hashed here)."""
    from sme_ai import models

    path = models.resolve(name, home)
    sha = models.CATALOG[name].sha256 if name in models.CATALOG else models.sha256_file(path)
    return path, sha


def trained_on(train_config: dict, home: Path) -> str:
    """The catalog model whose weights a training run used (its config's base folder), or "" for a folder of the
    user's own: the card names the base the adapter must be served with, whatever model the settings name now."""
    from sme_ai import models

    base = Path(train_config.get("base", ""))
    return next((name for name in models.CATALOG if folder_for(name, home) == base), "")


def ensure_hf_folder(name: str, home: Path, dtype: str = "bfloat16") -> Path:
    """The safetensors folder of a catalog GGUF, written on first use (`source.json` names the GGUF and its hash)."""
    folder = folder_for(name, home)
    if (folder / "config.json").is_file() and (folder / "model.safetensors").is_file():
        return folder
    torch, transformers = _imports()
    from safetensors.torch import save_model

    gguf, sha = base_gguf(name, home)
    log.info("loading %s through transformers (dequantises; about a minute for the 0.5B)", gguf)
    tok = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = transformers.AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name,
                                                              dtype=torch.float32)
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.config.torch_dtype = dtype
    model.config.save_pretrained(str(tmp))
    model.generation_config.save_pretrained(str(tmp))
    tok.save_pretrained(str(tmp))
    save_model(model.to(getattr(torch, dtype)), str(tmp / "model.safetensors"))
    (tmp / "source.json").write_text(json.dumps({"gguf": gguf.name, "sha256": sha, "dtype": dtype}), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder


def load_for_training(folder: Path, device: str = "cpu"):
    """Model (fp32 on a CPU, bf16 on a GPU) and tokenizer from a safetensors folder."""
    torch, transformers = _imports()
    dtype = torch.float32 if device == "cpu" else torch.bfloat16
    tok = transformers.AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model = transformers.AutoModelForCausalLM.from_pretrained(str(folder), dtype=dtype, local_files_only=True)
    return model.to(device), tok
