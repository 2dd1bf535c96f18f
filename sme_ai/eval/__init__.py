"""Evaluation: the dev set schema, retrieval and answer metrics, the LangChain baseline, the report."""
