"""A peft LoRA adapter as a GGUF adapter file that llama.cpp loads with `lora_path` (llama-cpp-python) or
`--lora` (llama.cpp), written with the `gguf` package's writer the way llama.cpp's convert_lora_to_gguf.py does:

- metadata: general.architecture (the base model's, e.g. qwen2), general.type = "adapter", adapter.type = "lora",
  adapter.lora.alpha (float32; llama.cpp scales by alpha / rank, as peft does);
- tensors: `<base tensor>.lora_a` and `.lora_b`, the base tensor named as in the base GGUF
  (model.layers.3.self_attn.q_proj.weight → blk.3.attn_q.weight);
- shapes: peft's lora_A.weight is (r, in) and lora_B.weight (out, r), written unchanged. gguf-py reverses the
  numpy shape into ggml's ne, so llama.cpp sees a.ne = [in, r] and b.ne = [r, out], which its loader checks against
  the base tensor (ne = [in, out]): a.ne[0] == in, b.ne[1] == out, a.ne[1] == b.ne[0].

Only architectures whose q/k weights the GGUF converter does not permute are accepted (Qwen2: the catalog models);
a Llama adapter's q/k rows would have to be permuted like the base weights were.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sme_ai.errors import SmeAiError

ARCHITECTURES = {"qwen2": "QWEN2"}  # model_type → gguf.MODEL_ARCH member


class AdapterExportError(SmeAiError):
    def __init__(self, what: str, path: Path):
        self.what, self.path = what, path
        super().__init__(f"Cannot export the adapter in {path}: {what}")


def _read_adapter(folder: Path) -> tuple[dict, dict]:
    from safetensors.numpy import load_file

    cfg_path, weights = folder / "adapter_config.json", folder / "adapter_model.safetensors"
    if not cfg_path.is_file() or not weights.is_file():
        raise AdapterExportError("adapter_config.json or adapter_model.safetensors is missing", folder)
    return json.loads(cfg_path.read_text(encoding="utf-8")), load_file(str(weights))


def gguf_tensors(tensors: dict, arch: str, n_layers: int, folder: Path) -> dict[str, object]:
    """peft's tensor names → the GGUF adapter's, arrays as float32 (r, in) / (out, r)."""
    import gguf
    import numpy as np

    names = gguf.get_tensor_name_map(getattr(gguf.MODEL_ARCH, ARCHITECTURES[arch]), n_layers)
    out: dict[str, object] = {}
    for name, value in sorted(tensors.items()):
        m = re.fullmatch(r"(?:base_model\.model\.)?(.+)\.lora_([AB])(?:\.default)?\.weight", name)
        if m is None:
            raise AdapterExportError(f"unexpected tensor {name!r} (only lora_A/lora_B of linear layers)", folder)
        base = names.get_name(m.group(1) + ".weight", try_suffixes=(".weight",))
        if base is None:
            raise AdapterExportError(f"no GGUF name for {m.group(1)!r}", folder)
        out[f"{base}.lora_{m.group(2).lower()}"] = np.ascontiguousarray(value, dtype=np.float32)
    for key in [k for k in out if k.endswith(".lora_a")]:
        b = key[:-1] + "b"
        if b not in out or out[key].shape[0] != out[b].shape[1]:
            raise AdapterExportError(f"{key}: no matching lora_b of rank {out[key].shape[0]}", folder)
    return out


def export_gguf(adapter_dir: Path, base_config: dict, dest: Path, name: str = "sme-ai-lora") -> Path:
    """Write `dest` from a peft adapter folder; `base_config` is the base model's config.json (architecture, layers)."""
    import gguf

    arch = base_config.get("model_type", "")
    if arch not in ARCHITECTURES:
        raise AdapterExportError(f"architecture {arch!r} is not supported (supported: {sorted(ARCHITECTURES)})",
                                 adapter_dir)
    lcfg, tensors = _read_adapter(adapter_dir)
    if lcfg.get("use_rslora") or lcfg.get("use_dora"):
        raise AdapterExportError("rsLoRA/DoRA scaling is not what llama.cpp applies", adapter_dir)
    arrays = gguf_tensors(tensors, arch, int(base_config["num_hidden_layers"]), adapter_dir)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    writer = gguf.GGUFWriter(str(tmp), arch=gguf.MODEL_ARCH_NAMES[getattr(gguf.MODEL_ARCH, ARCHITECTURES[arch])])
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_name(name)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(lcfg["lora_alpha"]))
    for tname, array in arrays.items():
        writer.add_tensor(tname, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(dest)
    return dest


def read_gguf_adapter(path: Path) -> tuple[dict, dict[str, tuple[int, ...]]]:
    """Metadata (key → value) and tensor shapes in ggml's ne order, as llama.cpp will see them."""
    import gguf

    reader = gguf.GGUFReader(str(path))
    meta = {}
    for key, f in reader.fields.items():
        if key.startswith(("general.", "adapter.")):
            v = f.contents()
            meta[key] = v
    return meta, {t.name: tuple(int(x) for x in t.shape) for t in reader.tensors}
