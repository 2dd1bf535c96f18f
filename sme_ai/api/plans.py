"""`POST /v1/assessments` (questionnaire answers → level, gaps with their passages) and `POST /v1/plans` (profile
[+ assessment] → a retrofit plan), as JSON, or Markdown / DOCX by the `format` field or the `Accept` header."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from sme_ai.api.auth import Caller, caller
from sme_ai.api.schemas import AssessmentRequest, PlanRequest

router = APIRouter(prefix="/v1", tags=["assessments and plans"])
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MARKDOWN = "text/markdown; charset=utf-8"
_JSON = {"application/json": {"schema": {"type": "object"}}}


def chosen_format(given: str | None, request: Request, allowed: tuple[str, ...]) -> str:
    """The `format` field if given, else the first type the Accept header names, else JSON."""
    if given:
        return given
    accept = request.headers.get("accept", "")
    for fmt, media in (("docx", DOCX), ("markdown", "text/markdown")):
        if fmt in allowed and media in accept:
            return fmt
    return "json"


@router.post("/assessments", responses={200: {"content": {**_JSON, "text/markdown": {"schema": {"type": "string"}}}}})
def assess(body: AssessmentRequest, request: Request, who: Caller = Depends(caller)):
    """Score questionnaire answers (the format of `sme-ai assess --answers`)."""
    from sme_ai.assess.report import render_markdown

    tenant = who.tenant(body.model)
    result = tenant.assistant.assess(body.answers)
    if chosen_format(body.format, request, ("markdown",)) == "markdown":
        return Response(render_markdown(result), media_type=MARKDOWN)
    return JSONResponse(result.model_dump(mode="json"))


@router.post("/plans", responses={200: {"content": {**_JSON, "text/markdown": {"schema": {"type": "string"}},
                                                    DOCX: {"schema": {"type": "string", "format": "binary"}}}}})
def plan(body: PlanRequest, request: Request, who: Caller = Depends(caller)):
    """Draft a retrofit plan (数字化改造方案): every section cites the knowledge base."""
    from sme_ai.plan.export import export_docx, render_markdown

    tenant = who.tenant(body.model)
    result = tenant.assistant.draft_plan(body.profile, body.assessment)
    fmt = chosen_format(body.format, request, ("markdown", "docx"))
    if fmt == "markdown":
        return Response(render_markdown(result), media_type=MARKDOWN)
    if fmt == "docx":
        with tempfile.TemporaryDirectory(prefix="sme-ai-plan-") as tmp:
            data = export_docx(result, Path(tmp) / "plan.docx").read_bytes()
        disposition = f"attachment; filename=plan.docx; filename*=UTF-8''{quote(result.title + '.docx')}"
        return Response(data, media_type=DOCX, headers={"Content-Disposition": disposition})
    return JSONResponse(result.model_dump(mode="json"))
