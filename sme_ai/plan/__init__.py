"""Retrofit plans: profile → the owner's needs (`needs`, `coverage`) → deterministic structure (`rules`: target,
scenarios, phases, KPIs; `budget`: the owner's budget over phases and items) → the rule-built outline first, then
section-by-section prose with plan-side checks (`draft`, `prose`) → Markdown/DOCX (`export`). Front ends reach it
through `Assistant.draft_plan` / `draft_plan_stream` / `regenerate_plan_section`."""
