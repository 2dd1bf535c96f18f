"""Settings → LLM through a plain dict of factories; None for the extractive mode (no model)."""

from __future__ import annotations

from collections.abc import Callable

from sme_ai.generate.llm import LLM


def make_llm(settings) -> LLM | None:
    def llama():
        from sme_ai import models
        from sme_ai.generate.llama_cpp_backend import LlamaCppLLM

        path = models.resolve(settings.llm_model, settings.home)
        lora = models.resolve_adapter(settings.llm_lora, settings.llm_model) if settings.llm_lora else None
        name = settings.llm_model + (f"+{lora.stem}" if lora else "")
        return LlamaCppLLM(path, name=name, n_threads=settings.n_threads, n_ctx=settings.n_ctx, lora_path=lora)

    def transformers():
        from sme_ai.generate.transformers_backend import TransformersLLM, resolve_folder

        return TransformersLLM(resolve_folder(settings), name=settings.llm_model)

    def openai():
        from sme_ai.generate.openai_backend import OpenAICompatLLM

        return OpenAICompatLLM(settings.openai_base_url, settings.openai_model or settings.llm_model,
                               api_key=settings.openai_api_key, timeout=settings.openai_timeout)

    factories: dict[str, Callable[[], LLM | None]] = {
        "llama-cpp": llama, "transformers": transformers, "openai": openai, "extractive": lambda: None,
    }
    return factories[settings.llm_backend]()
