"""llama.cpp through llama-cpp-python: one loaded model per process, one generation at a time."""

from __future__ import annotations

import threading
from pathlib import Path

from sme_ai.errors import MissingExtraError


class LlamaCppLLM:
    def __init__(self, path: Path, *, name: str = "", n_threads: int = 2, n_ctx: int = 4096, seed: int = 0,
                 repeat_penalty: float = 1.1, lora_path: Path | None = None):
        try:
            from llama_cpp import Llama
        except ImportError as e:
            raise MissingExtraError("llama_cpp", "llm") from e
        self.name = name or Path(path).stem
        self.repeat_penalty = repeat_penalty  # the small Qwen models loop under greedy decoding without it
        self._lock = threading.Lock()
        extra = {"lora_path": str(lora_path)} if lora_path else {}  # a tuned adapter (sme-ai tune export)
        self._llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, seed=seed, verbose=False, **extra)

    def stream(self, messages, *, max_tokens=256, temperature=0.0, stop=None):
        # the lock is held until the generator is exhausted or closed: never two generations on one context
        with self._lock:
            chunks = self._llm.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=temperature, top_k=1 if temperature == 0 else 40,
                repeat_penalty=self.repeat_penalty, stop=stop or [], stream=True,
            )
            for chunk in chunks:
                delta = chunk["choices"][0].get("delta", {}).get("content")
                if delta:
                    yield delta

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))
