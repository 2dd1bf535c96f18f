"""The knowledge base: a dense index (Chroma or in-memory) and a BM25 index kept consistent by one manifest."""
