"""schemathesis fuzzes the served OpenAPI document (in process, over ASGI) in the extractive mode, so no operation
needs a model: no 5xx, and every response matches the documented status codes, content types, headers and schemas.
Bounded: 20 examples per operation (30 s or so in all), no shrinking phase."""

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from sme_ai.api import create_app
from sme_ai.api.keys import KeyStore
from sme_ai.config import Settings

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
HEADERS: dict[str, str] = {}  # a plain key
ADMIN: dict[str, str] = {}  # an admin key: uploads and removals get through to the checks


def served_app():
    """The app with one tenant holding one document (built when the module is collected: schemathesis'
    fixture-based loader does not work with pytest 9)."""
    folder = Path(tempfile.mkdtemp(prefix="sme-ai-schema-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    s = Settings(data_dir=folder / "kb", home=folder / "home", embedder="hash", vector_store="memory",
                 llm_backend="extractive", min_dense_score=0.0, api_rate_burst=100000, api_rate_per_minute=1e6)
    _, key = KeyStore(s.keys_path).create("acme")
    _, admin = KeyStore(s.keys_path).create("acme", admin=True)
    HEADERS["Authorization"] = f"Bearer {key}"
    ADMIN["Authorization"] = f"Bearer {admin}"
    app = create_app(s)
    tenant = app.state.services.tenants.get("acme")
    (folder / "doc.md").write_text("# 目标\n到2027年，中小企业上云率超过40%。数控化率达到75%。\n", encoding="utf-8")
    tenant.write(tenant.assistant.ingest, [folder / "doc.md"])
    return app


APP = served_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=20, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_schema(case):
    case.call_and_validate(headers=HEADERS, checks=CHECKS)


@schema.include(path_regex=r"^/v1/documents").parametrize()
@settings(max_examples=20, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_uploads_and_removals_by_an_admin_key(case):
    case.call_and_validate(headers=ADMIN, checks=CHECKS)


def test_the_fuzzed_document_is_the_served_one():
    from fastapi.testclient import TestClient

    served = TestClient(APP).get("/openapi.json").json()
    assert served == schema.raw_schema
    assert {"/healthz", "/v1/models", "/v1/search", "/v1/documents", "/v1/assessments"} <= set(served["paths"])
