"""transformers on a local model folder (config.json, tokenizer and safetensors: the path for GPU servers and
fine-tuning), streamed with TextIteratorStreamer."""

from __future__ import annotations

import threading
from pathlib import Path

from sme_ai.errors import MissingExtraError, ModelFolderMissingError
from sme_ai.generate.llm import apply_stop


def folder_for(name: str, home: Path) -> Path:
    return home / "models" / name / "hf-bf16"


def resolve_folder(settings) -> Path:
    from sme_ai import models

    if settings.llm_model in models.CATALOG:
        folder = folder_for(settings.llm_model, settings.home)
        if not (folder / "config.json").is_file():
            raise ModelFolderMissingError(settings.llm_model, folder)
        return folder
    return Path(settings.llm_model).expanduser()


class TransformersLLM:
    def __init__(self, folder: Path, *, name: str = "", device: str | None = None, dtype: str = "auto"):
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as e:
            raise MissingExtraError(e.name or "transformers", "transformers") from e
        self.name = name or Path(folder).name
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        torch_dtype = (torch.float32 if self.device == "cpu" else torch.bfloat16) if dtype == "auto" else getattr(torch, dtype)
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        self.model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch_dtype, local_files_only=True)
        self.model.to(self.device).eval()
        self._lock = threading.Lock()

    def stream(self, messages, *, max_tokens=256, temperature=0.0, stop=None):
        from transformers import TextIteratorStreamer

        with self._lock:
            inputs = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                                        return_dict=True).to(self.device)
            streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=600)
            kwargs = dict(**inputs, max_new_tokens=max_tokens, streamer=streamer, repetition_penalty=1.1,
                          do_sample=temperature > 0, pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id)
            if temperature > 0:
                kwargs["temperature"] = temperature
            failure: list[BaseException] = []

            def generate():
                try:
                    self.model.generate(**kwargs)
                except BaseException as e:  # surfaced in the caller's thread below
                    failure.append(e)
                    streamer.end()

            worker = threading.Thread(target=generate, daemon=True)
            worker.start()
            text, exhausted = "", False
            try:
                for piece in streamer:
                    before = len(text)
                    text, stopped = apply_stop(text + piece, stop)
                    if len(text) > before:
                        yield text[before:]
                    if stopped:
                        break
                else:
                    exhausted = True
            finally:
                if not exhausted:  # stopped early or closed: drain so generate() ends before the lock is released
                    for _ in streamer:
                        pass
                worker.join()
            if failure:
                raise failure[0]
