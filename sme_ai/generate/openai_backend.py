"""Any OpenAI-compatible `/v1/chat/completions` server (vLLM, Ollama, llama-cpp-python's server, a cloud API),
streamed over server-sent events."""

from __future__ import annotations

import json

from sme_ai.errors import SmeAiError


class LLMServerError(SmeAiError):
    def __init__(self, url: str, detail: str):
        self.url, self.detail = url, detail
        super().__init__(f"The model server at {url} failed: {detail[:300]}. Check SME_AI_OPENAI_BASE_URL and the server.")


class OpenAICompatLLM:
    def __init__(self, base_url: str, model: str, *, api_key: str = "", timeout: float = 120.0):
        import httpx

        self.base_url = base_url.rstrip("/")
        self.name = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def stream(self, messages, *, max_tokens=256, temperature=0.0, stop=None):
        import httpx

        body = {"model": self.name, "messages": messages, "max_tokens": max_tokens, "temperature": temperature,
                "stream": True}
        if stop:
            body["stop"] = stop
        try:
            with self._client.stream("POST", "/v1/chat/completions", json=body) as resp:
                if resp.status_code != 200:
                    raise LLMServerError(self.base_url, f"HTTP {resp.status_code}: {resp.read().decode(errors='replace')}")
                for line in resp.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    choices = json.loads(data).get("choices") or [{}]
                    delta = (choices[0].get("delta") or {}).get("content")
                    if delta:
                        yield delta
        except httpx.HTTPError as e:
            raise LLMServerError(self.base_url, f"{type(e).__name__}: {e}") from e
