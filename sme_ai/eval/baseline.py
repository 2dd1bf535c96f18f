"""The plain LangChain way, for comparison in the same run: files read as they are, the default
RecursiveCharacterTextSplitter (4,000 characters, 200 overlap), a Chroma vector store through langchain-chroma,
the same embedder, dense top-k only."""

from __future__ import annotations

import uuid
from pathlib import Path

from sme_ai.errors import MissingExtraError


def _lc_embeddings(embedder):
    from langchain_core.embeddings import Embeddings

    class SameEmbedder(Embeddings):
        def embed_documents(self, texts):
            return embedder.embed(texts, "document").tolist()

        def embed_query(self, text):
            return embedder.embed([text], "query")[0].tolist()

    return SameEmbedder()


class LangChainBaseline:
    def __init__(self, corpus: Path, embedder, persist_dir: Path):
        try:
            from chromadb.config import Settings as ChromaSettings
            from langchain_chroma import Chroma
            from langchain_core.documents import Document
            from langchain_text_splitters import RecursiveCharacterTextSplitter
        except ImportError as e:
            raise MissingExtraError(e.name or "langchain", "eval") from e

        docs = [Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": p.relative_to(corpus).as_posix()})
                for p in sorted(Path(corpus).rglob("*")) if p.is_file() and p.suffix in (".md", ".txt")]
        self.splits = RecursiveCharacterTextSplitter().split_documents(docs)
        self.store = Chroma.from_documents(
            self.splits, _lc_embeddings(embedder), collection_name=f"baseline_{uuid.uuid4().hex[:8]}",
            persist_directory=str(persist_dir), client_settings=ChromaSettings(anonymized_telemetry=False),
            collection_metadata={"hnsw:space": "cosine"},
        )

    def search(self, query: str, k: int = 5) -> list[tuple[str, str]]:
        """(source, text) best first."""
        return [(d.metadata["source"], d.page_content) for d in self.store.similarity_search(query, k=k)]
