"""`POST /v1/chat/completions` (OpenAI's schema, streaming or not) and `GET /v1/models` (the knowledge bases a key
may use, as models). The answer's citations and `refused` travel on the message, and on the final stream chunk."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from sme_ai.api.auth import Caller, caller
from sme_ai.api.errors import InvalidRequestError, describe
from sme_ai.api.schemas import AssistantMessage, ChatCompletion, ChatMessage, ChatRequest, Choice, ModelCard, ModelList
from sme_ai.api.tenants import Tenant
from sme_ai.errors import SmeAiError
from sme_ai.types import Answer, Cached, Delta, Draft, Final

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["chat"])
History = list[tuple[str, str]]

STREAM_DOC = ("`stream: true`: Server-Sent Events, `data: {chat.completion.chunk}` lines, then `data: [DONE]`. The "
              "content deltas are the model's draft; the final chunk's delta carries `citations`, `refused` and "
              "`answer`, the verified text the citations refer to (show it in place of the draft, as the web app "
              "does; `replaced` says whether it differs from the draft).")


def split_messages(messages: list[ChatMessage]) -> tuple[str, History]:
    """The last message is the question (it must be the user's); earlier user → assistant pairs are the history."""
    if messages[-1].role != "user":
        raise InvalidRequestError("The last message must be the user's question.", param="messages")
    history: History = []
    pending: str | None = None
    for m in messages[:-1]:
        if m.role == "user":
            pending = m.text()
        elif m.role == "assistant" and pending is not None:
            history.append((pending, m.text()))
            pending = None
    return messages[-1].text(), history


def citations(answer: Answer) -> list[dict]:
    return [c.to_dict() for c in answer.citations]


@router.get("/models", response_model=ModelList, summary="The knowledge bases this key may use, as models")
def list_models(who: Caller = Depends(caller)) -> ModelList:
    """Each tenant's knowledge base is a model: a key sees its own tenant's; an admin key sees every tenant's.
    The name "sme-ai" also means the key's own knowledge base."""
    return ModelList(data=[ModelCard(id=name) for name in who.models()])


@router.post("/chat/completions", response_model=ChatCompletion, description=STREAM_DOC,
             responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}})
def chat_completions(body: ChatRequest, who: Caller = Depends(caller)):
    """A grounded answer with verified citations, or an honest refusal, from the `model`'s knowledge base."""
    from sme_ai.question import check_question

    tenant = who.tenant(body.model)
    question, history = split_messages(body.messages)
    question = check_question(question, tenant.assistant.settings.max_question_chars)
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    if body.stream:
        events = sse(tenant, who.key.id, question, history, model=tenant.name, cid=cid, created=created)
        return StreamingResponse(events, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    t0 = time.perf_counter()
    answer, cached = tenant.ask(question, history)
    tenant.log(who.key.id, answer, cached=cached, ms=(time.perf_counter() - t0) * 1000)
    message = AssistantMessage(content=answer.text, citations=citations(answer), refused=answer.refused)
    return ChatCompletion(id=cid, created=created, model=tenant.name, choices=[Choice(message=message)])


def _chunk(cid: str, created: int, model: str, delta: dict, finish: str | None = None) -> str:
    body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def sse(tenant: Tenant, key_id: str, question: str, history: History, *, model: str, cid: str,
        created: int) -> Iterator[str]:
    t0 = time.perf_counter()
    yield _chunk(cid, created, model, {"role": "assistant", "content": ""})
    try:
        answer = tenant.cached(question, history)
        cached, streamed = answer is not None, ""
        if answer is None:
            for event in tenant.stream(question, history):
                if isinstance(event, Draft):  # the quoted draft at once, outside `content` (clients may show it)
                    yield _chunk(cid, created, model, {"draft": {"answer": event.answer.text,
                                                                 "citations": citations(event.answer)}})
                elif isinstance(event, Delta) and event.text:
                    streamed += event.text
                    yield _chunk(cid, created, model, {"content": event.text})
                elif isinstance(event, (Final, Cached)):  # Cached: a near-duplicate, found after retrieval
                    answer, cached = event.answer, isinstance(event, Cached)
        extends = answer.text.startswith(streamed)
        final = {"content": answer.text[len(streamed):] if extends else "", "citations": citations(answer),
                 "refused": answer.refused, "answer": answer.text, "replaced": not extends}
        yield _chunk(cid, created, model, final, finish="stop")
        tenant.log(key_id, answer, cached=cached, ms=(time.perf_counter() - t0) * 1000)
    except SmeAiError as e:
        yield f"data: {json.dumps(describe(e)[1], ensure_ascii=False)}\n\n"
    except Exception:  # the stream has started: the error goes in the stream, never a traceback
        log.exception("chat stream failed")
        yield 'data: {"error": {"message": "internal error", "type": "server_error", "code": null, "param": null}}\n\n'
    yield "data: [DONE]\n\n"
