"""Ingestion: load a file → normalise its text → cut it into chunks."""
