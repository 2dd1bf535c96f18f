"""Evaluation sets, the eval runner (`python -m evals`) and benchmark scripts."""
