"""Retrofit plans: profile → deterministic structure → section-by-section drafting → Markdown/DOCX. Front ends
reach it through `Assistant.draft_plan` / `draft_plan_stream`; renderers are in `export`."""
