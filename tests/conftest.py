import os
from pathlib import Path

import pytest

# the reusable contract suites live in the package: give their asserts pytest's detailed messages
pytest.register_assert_rewrite("sme_ai.testing.contracts")

# nothing may ever download from a model hub: make an accidental call fail fast
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seeds" / "action_plan_2025_2027_interpretation.txt"
CORPORA = ROOT / "corpora"

SLOW_TIERS = ("model", "live", "browser")  # see [tool.pytest.ini_options].markers in pyproject.toml


def pytest_collection_modifyitems(config, items):
    """Every test outside the model, live and browser tiers is in the fast tier: `pytest -m fast` runs just those."""
    for item in items:
        if not any(item.get_closest_marker(tier) for tier in SLOW_TIERS):
            item.add_marker(pytest.mark.fast)


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture
def fake_settings(tmp_path, monkeypatch):
    """Settings for fast tests: hash embedder, in-memory store, temp folders, no TOML/env leakage. The scripted
    replies of the fake models are what the front ends must show, so they are not held to the quoted skeleton
    (`answer_skeleton`: its own tests in test_answer.py turn it on)."""
    from sme_ai.config import Settings

    for key in list(os.environ):
        if key.startswith("SME_AI_"):
            monkeypatch.delenv(key)
    return Settings(data_dir=tmp_path / "kb", home=tmp_path / "home", embedder="hash", vector_store="memory",
                    answer_skeleton=False)


@pytest.fixture
def chroma_settings(fake_settings):
    return fake_settings.model_copy(update={"vector_store": "chroma"})


def real_models_home() -> Path:
    from sme_ai.config import Settings

    return Settings().home


def require_model(name: str) -> Path:
    """The path of a fetched catalog model; the test command fetches them first, so a miss is a failure."""
    from sme_ai import models

    spec = models.get_spec(name)
    home = real_models_home()
    if not models.is_fetched(spec, home):
        if os.environ.get("SME_AI_ALLOW_SKIP_MODELS"):
            pytest.skip(f"model {name} not fetched")
        pytest.fail(f"model {name} is not fetched: run `sme-ai models pull {name}` (the README test command does)")
    return spec.path(home)


def corpus_assistant(tmp: Path, llm=None):
    """An Assistant on the shipped corpus with the hash embedder and an in-memory store (plans, no model)."""
    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings

    asst = Assistant(Settings(data_dir=tmp / "kb", home=tmp / "home", embedder="hash", vector_store="memory",
                              llm_backend="extractive"), llm=llm)
    asst.ingest([ROOT / "corpora"])
    return asst


@pytest.fixture
def corpus_ctx(fake_settings):
    """The app's context in the extractive mode on the shipped corpus."""
    from sme_ai.app.context import build_app_context

    settings = fake_settings.model_copy(update={"llm_backend": "extractive"})
    ctx = build_app_context(settings.model_copy(update={"app_dir": settings.data_dir / "app"}))
    ctx.asst.ingest([ROOT / "corpora"])
    return ctx
