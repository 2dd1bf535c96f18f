"""`POST /v1/search` and the documents of a knowledge base: list, upload (admin keys), remove (admin keys).

Uploads go through the same checks as the web app's (`sme_ai.uploads`: type, size, content signature, a sanitised
name that becomes the document's source key); the knowledge base keeps the chunks, the upload itself is not kept."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, File, Query, UploadFile

from sme_ai.api.auth import Caller, caller
from sme_ai.api.errors import RequestTooLargeError
from sme_ai.api.schemas import DocumentList, IngestResult, Removed, SearchRequest, SearchResponse
from sme_ai.uploads import UPLOAD_TYPES, UploadRejectedError, check_upload, safe_name

router = APIRouter(prefix="/v1", tags=["knowledge base"])
MODEL_PARAM = Query(None, description="knowledge base (default: the key's own; other tenants: admin keys only)")


@router.post("/search", response_model=SearchResponse)
def search(body: SearchRequest, who: Caller = Depends(caller)) -> SearchResponse:
    """Ranked passages (hybrid: dense + BM25, fused by RRF) with each leg's rank and score."""
    tenant = who.tenant(body.model)
    filters = {k: v for k, v in (body.filters.model_dump() if body.filters else {}).items() if v}
    hits = tenant.assistant.search(body.query, body.k, filters=filters or None, mode=body.mode)
    return SearchResponse(model=tenant.name, data=[h.to_dict() for h in hits])


@router.get("/documents", response_model=DocumentList)
def list_documents(model: str | None = MODEL_PARAM, who: Caller = Depends(caller)) -> DocumentList:
    tenant = who.tenant(model)
    return DocumentList(model=tenant.name, data=tenant.assistant.documents())


@router.post("/documents", response_model=IngestResult, status_code=201)
def upload_document(file: UploadFile = File(description=f"one of {' '.join(UPLOAD_TYPES)}"),
                    model: str | None = MODEL_PARAM, who: Caller = Depends(caller)) -> IngestResult:
    """Add one document (the same content again changes nothing). Admin keys only."""
    who.require_admin("upload documents")
    tenant = who.tenant(model)
    settings = tenant.assistant.settings
    name = safe_name(file.filename or "upload")
    with tempfile.TemporaryDirectory(prefix="sme-ai-upload-") as tmp:
        path = Path(tmp) / name  # the sanitised name: the document's source key
        with open(path, "wb") as out:
            shutil.copyfileobj(file.file, out, length=1 << 20)
        size = path.stat().st_size
        if size > settings.max_upload_bytes:
            raise RequestTooLargeError(size, settings.max_upload_bytes, what=f"file {name}")
        check_upload(path, name, allowed=UPLOAD_TYPES, max_bytes=settings.max_upload_bytes)
        # identified by content, as the web app's uploads: the same file twice is one document, two different
        # files of one name are two; the knowledge base keeps the chunks, not the file
        stats = tenant.write(tenant.assistant.ingest, [path], by_content=True)
        if stats.failures:
            message = stats.failures[0][1].replace(str(path), name)  # never a server path
            raise UploadRejectedError(name, message.split(": ", 1)[-1])
    return IngestResult(model=tenant.name, name=name, added=stats.added, updated=stats.updated,
                        unchanged=stats.unchanged, chunks_embedded=stats.chunks_embedded,
                        chunks_reused=stats.chunks_reused)


@router.delete("/documents/{key}", response_model=Removed)
def remove_document(key: str, model: str | None = MODEL_PARAM, who: Caller = Depends(caller)) -> Removed:
    """Remove a document by its source, title or id. Admin keys only."""
    who.require_admin("remove documents")
    tenant = who.tenant(model)
    return Removed(model=tenant.name, deleted=tenant.write(tenant.assistant.remove, key))

