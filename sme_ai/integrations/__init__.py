"""Adapters that let other frameworks use sme-ai (through the Assistant only): `sme_ai.integrations.langchain`."""
