"""Maturity self-assessment against the 2024 evaluation indicators (as the corpus describes them)."""
