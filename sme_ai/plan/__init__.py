"""Retrofit plans: profile → deterministic structure → section-by-section drafting → Markdown/DOCX. Front ends
use `sme_ai.plan.api`."""
