"""Questionnaire answers → an Assessment: points, scenario levels, level, and the gaps to the next level, each
backed by a corpus passage found through a `Searcher` (none without one)."""

from __future__ import annotations

from sme_ai.assess.gaps import Searcher, attach_evidence, find_gaps
from sme_ai.assess.indicators import load_questionnaire
from sme_ai.assess.model import Assessment
from sme_ai.assess.scoring import normalise_answers, score_answers


def assess(answers: dict, searcher: Searcher | None = None) -> Assessment:
    q = load_questionnaire()
    result = score_answers(q, normalise_answers(q, answers))
    gaps = find_gaps(q, result)
    if searcher is not None:
        gaps = attach_evidence(searcher, gaps)
    return result.model_copy(update={"gaps": gaps})


def as_assessment(data: Assessment | dict | None, searcher: Searcher | None = None) -> Assessment | None:
    """An Assessment, a saved one (its JSON as a dict), or raw answers (scored here)."""
    if data is None or isinstance(data, Assessment):
        return data
    if "level" in data and "dimensions" in data:  # a saved Assessment (model_dump / JSON)
        return Assessment.model_validate(data)
    return assess(data, searcher)
