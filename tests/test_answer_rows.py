"""evals/answer_rows.py: run specs with settings, and one generation shared by the variants of one model."""

from evals.answer_rows import _Replay, _settings

from sme_ai.config import Settings
from sme_ai.generate.llm import FakeLLM


def test_a_run_spec_names_a_model_an_adapter_and_settings():
    assert _settings("extractive") == {"llm_backend": "extractive"}
    assert _settings("qwen2.5-coder-0.5b+sme-ai-lora-0.5b") == {"llm_model": "qwen2.5-coder-0.5b",
                                                                 "llm_lora": "sme-ai-lora-0.5b"}
    spec = _settings("qwen2.5-coder-0.5b@model_context=evidence,answer_skeleton=false")
    s = Settings(**spec)
    assert s.model_context == "evidence" and s.answer_skeleton is False and s.llm_lora is None


def test_a_prompt_answered_once_is_replayed_for_the_next_variant():
    fake = FakeLLM("到2027年中小企业上云率超过40%[1]。")
    llm = _Replay(fake)
    msgs = [{"role": "user", "content": "上云率？"}]
    first = "".join(llm.stream(msgs, max_tokens=100))
    assert not llm.replayed
    again = "".join(llm.stream(msgs, max_tokens=100))
    assert llm.replayed and again == first and len(fake.calls) == 1
    "".join(llm.stream([{"role": "user", "content": "数控化率？"}], max_tokens=100))  # another prompt: generated
    assert not llm.replayed and len(fake.calls) == 2
