"""Retrieval-aware training data (RAFT): each example is the prompt the product would really build — the question
as the Assistant normalises (and, for a follow-up, rewrites) it, the passages our own retriever finds, cut down by
the product's `compact_context`, shown as the product's evidence-only prompt (`evidence_passages`, the default
`model_context`) and rendered by its `build_messages` — and the answer the product wants back.

The passage that answers (the oracle) stays where the retriever put it when it is among the first passages, and
is placed at a random position among the distractors when it is not. Refusal examples have no answering passage:
invented policies, uncovered years, rumours the corpus lists as 误传, off-topic questions, and real questions whose
answering passages were taken out of the context. Every target passes `verify_answer` unchanged (markers valid,
numbers in the passages), and no question may be a paraphrase of a dev-set question (`leak.py`).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from sme_ai.generate.answer import build_messages, standalone_question
from sme_ai.generate.context import Passage, compact_context
from sme_ai.generate.extractive import ENGLISH_LEAD, evidence_passages
from sme_ai.generate.prompts import load_prompt
from sme_ai.generate.verify import numbers_in, verify_answer
from sme_ai.text import bigrams, normalize_text
from sme_ai.tune import questions as qs
from sme_ai.tune import refusals
from sme_ai.tune.leak import LeakCheck
from sme_ai.types import Chunk, Hit

REFUSAL = "资料中未提及。"  # prompts/system.txt rule 5: "找不到答案时，只回答：资料中未提及。"
Search = Callable[[str, int], list[Hit]]
# the share of each kind asked for. The refusal kinds add up to the floor of a quarter: with 39 % the seventh
# session's adapter put P("资料", the refusal's first token) at 0.44–0.93 on answerable prompts and refused 36 of 40
# answerable dev questions. The shipped corpus yields about 690 answerable examples (the answer kinds run dry and
# hand nothing to the refusal side), so -n 1260 gives about 1,000 examples, three in ten of them refusals
MIX = {"fact": 0.10, "number": 0.20, "docnum": 0.05, "applicability": 0.11, "multihop": 0.08, "followup": 0.07,
       "traditional": 0.08, "english": 0.06, "refusal_removed": 0.09, "invented": 0.05, "uncovered_year": 0.05,
       "rumour": 0.03, "off_topic": 0.03}


@dataclass
class Candidate:
    question: str  # as the owner asks it
    type: str
    facts: list[qs.Fact] = field(default_factory=list)  # empty: the answer is the refusal
    history: list[tuple[str, str]] = field(default_factory=list)
    remove: list[qs.Fact] = field(default_factory=list)  # refusal_removed: the passages that answer are left out

    @property
    def refusal(self) -> bool:
        return not self.facts


@dataclass
class Options:
    n: int = 1200
    seed: int = 20251201
    top_k: int = 5  # the product's Settings defaults (top_k, context_chars, context_passages)
    context_chars: int = 600
    context_passages: int = 4
    search_k: int = 12
    prompts_dir: Path | None = None
    model_context: str = "evidence"  # Settings.model_context: the prompt holds the quoted answer's sentences only
    evidence_sentences: int = 5  # Settings.model_evidence_sentences: how many of them


def _strip_opener(q: str) -> str:
    for o in sorted(qs.OPENERS, key=len, reverse=True):
        if o and q.startswith(o):
            return q[len(o):]
    return q


def candidates(chunks: list[Chunk], rng: random.Random, corpus_text: str) -> dict[str, list[Candidate]]:
    """Every kind's pool of questions, more than the mix needs; `select` draws from them."""
    facts = [f for c in chunks for f in qs.facts_of(c)]
    rng.shuffle(facts)
    pools: dict[str, list[Candidate]] = {k: [] for k in MIX}
    single: list[Candidate] = []
    for f in facts:
        q = qs.question_for(f, rng)
        if q:
            single.append(Candidate(q, f.kind, [f]))
            pools[f.kind].append(single[-1])
    for c in single:
        if c.type in ("number", "fact"):
            pools["applicability"].append(Candidate(qs.profile_prefix(rng) + _strip_opener(c.question), "applicability", c.facts))
            pools["traditional"].append(Candidate(qs.to_traditional(c.question), "traditional", c.facts))
            pools["refusal_removed"].append(Candidate(c.question, "refusal_removed", [], remove=c.facts))
    by_doc: dict[str, list[Candidate]] = {}
    for c in single:
        by_doc.setdefault(c.facts[0].chunk.doc_id, []).append(c)
    docs = list(by_doc)
    for c in single:
        other = rng.choice(by_doc[rng.choice([d for d in docs if d != c.facts[0].chunk.doc_id])])
        q2 = _strip_opener(other.question)
        pools["multihop"].append(Candidate(c.question.rstrip("？") + "？另外，" + q2, "multihop", c.facts + other.facts))
        same = [o for o in by_doc[c.facts[0].chunk.doc_id] if o is not c and o.type == "number"]
        if same and c.type == "number":
            f2 = rng.choice(same)
            follow = "那" + _strip_opener(f2.question).rstrip("？") + "呢？"
            pools["followup"].append(Candidate(follow, "followup", f2.facts, history=[(c.question, c.facts[0].answer)]))
    for f in facts:
        q = qs.english_question(f, rng)
        if q:
            pools["english"].append(Candidate(q, "english", [f]))
    made = [*refusals.invented_policies(rng, corpus_text, 400), *refusals.uncovered_years(facts, rng, corpus_text, 400),
            *refusals.rumours(corpus_text, rng), *refusals.off_topic(rng)]
    for q, kind in made:
        pools[kind].append(Candidate(q, kind))
    return pools


REFUSAL_KINDS = ("refusal_removed", "invented", "uncovered_year", "rumour", "off_topic")


def eligible(pool: list[Candidate], rng: random.Random, leak: LeakCheck) -> Iterator[Candidate]:
    """The pool in a seeded order without leaking questions (nor follow-ups whose first turn leaks) or repeats."""
    pool, seen = list(pool), set()
    rng.shuffle(pool)
    for c in pool:
        if c.question in seen or leak.leaks(c.question) or any(leak.leaks(q) for q, _ in c.history):
            continue
        seen.add(c.question)
        yield c


def reassign(quota: Counter, made: Counter, exhausted: set[str]) -> bool:
    """A kind whose pool ran dry hands its missing examples to the kinds of its side (refusal or answer) that
    still have candidates, so the total and the refusal share hold. False when nothing is missing."""
    moved = False
    for side in (REFUSAL_KINDS, tuple(k for k in MIX if k not in REFUSAL_KINDS)):
        missing = sum(quota[k] - made[k] for k in side if k in exhausted)
        takers = [k for k in side if k not in exhausted]
        for k in side:
            if k in exhausted:
                quota[k] = made[k]
        for i in range(missing if takers else 0):
            quota[takers[i % len(takers)]] += 1
            moved = True
    return moved


def model_question(c: Candidate, prompts_dir: Path | None) -> str:
    """What the model reads, as `Assistant.stream` makes it: normalised, and a follow-up made standalone by the
    product's own rewrite (from the earlier questions)."""
    history = [(normalize_text(q), a) for q, a in c.history] or None
    return standalone_question(normalize_text(c.question), history)


def _contains(chunk: Chunk, fact: qs.Fact) -> bool:
    """The chunk states the fact too (an overlapping neighbour, another document repeating it)."""
    core = fact.answer.rstrip("。")
    if core[:20] in chunk.text:
        return True
    fb = bigrams(core)
    if len(fb & bigrams(chunk.text)) >= 0.6 * len(fb):
        return True
    return any(n in chunk.text.replace("％", "%") for n in numbers_in(core))


def place(hits: list[Hit], oracles: list[Chunk], rng: random.Random, k: int) -> list[Hit]:
    """The oracles among the first k: where the retriever ranked them, or at random among the distractors."""
    ids = {c.id for c in oracles}
    top = hits[:k]
    if ids <= {h.chunk.id for h in top}:
        return top
    found = {h.chunk.id: h for h in hits if h.chunk.id in ids}
    distractors = [h for h in hits if h.chunk.id not in ids][: k - len(oracles)]
    for c in oracles:
        distractors.insert(rng.randint(0, len(distractors)), found.get(c.id) or Hit(chunk=c, score=0.0))
    return distractors


def _passage_of(passages: list[Passage], fact: qs.Fact) -> Passage | None:
    return next((p for p in passages if p.hit.chunk.id == fact.chunk.id
                 and any(s.strip() == fact.sentence for s in p.sentences)), None)


def target_for(c: Candidate, passages: list[Passage]) -> str | None:
    if c.refusal:
        return REFUSAL
    parts = []
    for f in c.facts:
        p = _passage_of(passages, f)
        if p is None:
            return None
        parts.append(f"{f.answer.rstrip('。')}[{p.n}]。")
    body = "".join(parts)
    return ENGLISH_LEAD + body if c.type == "english" else body


def _core(sentence: str) -> str:
    """A sentence as the evidence prompt shows it: no bullet or bold marks, one full stop."""
    return qs.clean_sentence(sentence.replace("**", ""))


def evidence_prompt(question: str, passages: list[Passage], facts: list[qs.Fact],
                    max_sentences: int = 5) -> tuple[list[Passage], bool]:
    """The passages as the product's evidence-only prompt shows them (`evidence_passages`: the sentences the quoted
    answer selects, under their passages' numbers), with each answering sentence the selection missed put in its
    passage (True when one was): the model learns to answer from the sentence that answers, wherever the selection
    placed it, and a selection that missed it is the retrieval's fault, not a lesson in refusing."""
    shown = {p.n: p for p in evidence_passages(question, passages, max_sentences)}
    added = False
    for f in facts:
        full = _passage_of(passages, f)
        have = shown.get(full.n)
        if have is not None and any(_core(s) == _core(f.sentence) for s in have.sentences):
            continue
        added = True
        sentence = _core(f.sentence)
        shown[full.n] = replace(have, sentences=(*have.sentences, sentence)) if have else \
            replace(full, sentences=(sentence,), heads="")
    return [shown[n] for n in sorted(shown)], added


def passes_verification(target: str, passages: list[Passage]) -> bool:
    v = verify_answer(target, passages)
    return v.text == target and not v.repaired and not v.auto_cited


def realise(c: Candidate, search: Search, rng: random.Random, opt: Options) -> dict | None:
    question = model_question(c, opt.prompts_dir)
    hits = search(question, opt.search_k)
    if c.type == "refusal_removed":
        hits = [h for h in hits if not any(_contains(h.chunk, f) for f in c.remove)]
    hits = place(hits, [f.chunk for f in c.facts], rng, opt.top_k) if c.facts else hits[: opt.top_k]
    passages = compact_context(question, hits, budget_chars=opt.context_chars, max_passages=opt.context_passages)
    target = target_for(c, passages) if passages else None
    if target is None or not passes_verification(target, passages):
        return None
    prompt, added = (evidence_prompt(question, passages, c.facts, opt.evidence_sentences)
                     if opt.model_context == "evidence" else (passages, False))
    messages = build_messages(question, prompt, opt.prompts_dir)
    dense = max((h.leg_scores.get("dense", 0.0) for h in hits), default=0.0)
    return {"type": c.type, "refusal": c.refusal, "question": c.question, "history": c.history,
            "model_question": question, "messages": [*messages, {"role": "assistant", "content": target}],
            "context": opt.model_context, "oracle_added": added,
            "target": target, "oracle": [f.chunk.id for f in c.facts],
            "passages": [{"n": p.n, "chunk": p.hit.chunk.id, "sentences": list(p.sentences), "heads": p.heads}
                         for p in passages],
            "best_dense": round(dense, 4)}


def _prefetch(search: Search, cands: list[Candidate], opt: Options, progress=None) -> None:
    if hasattr(search, "prefetch"):
        search.prefetch([model_question(c, opt.prompts_dir) for c in cands], progress)


def build(chunks: list[Chunk], search: Search, dev_path: Path, opt: Options,
          progress=None) -> Iterator[tuple[int, int, dict]]:
    """Yields (done, n, example) as examples are made, kind by kind, until each kind has its share of n. The
    questions a round will need are embedded in one batch first (`search.prefetch`, where the search has one)."""
    from sme_ai.tune.leak import dev_questions

    rng = random.Random(opt.seed)
    chunks = sorted(chunks, key=lambda ch: ch.id)
    leak = LeakCheck(dev_questions(dev_path))
    queues = {k: eligible(p, rng, leak) for k, p in candidates(chunks, rng, "\n".join(ch.text for ch in chunks)).items()}
    quota, made, exhausted = Counter({k: round(opt.n * s) for k, s in MIX.items()}), Counter(), set()
    while True:
        # a round: about 1.2× each kind's missing examples (about one in ten fails verification or placement)
        batch = {k: [c for _, c in zip(range(math.ceil(1.2 * (quota[k] - made[k])) + 2), queues[k])]
                 for k in MIX if made[k] < quota[k] and k not in exhausted}
        _prefetch(search, [c for cs in batch.values() for c in cs], opt, progress)
        for kind, cands in batch.items():
            if len(cands) < math.ceil(1.2 * (quota[kind] - made[kind])) + 2:
                exhausted.add(kind)
            for c in cands:
                if made[kind] >= quota[kind]:
                    break
                if (e := realise(c, search, rng, opt)) is not None:
                    made[kind] += 1
                    yield sum(made.values()), opt.n, e
        if all(made[k] >= quota[k] or k in exhausted for k in MIX) and not reassign(quota, made, exhausted):
            return


def write(examples: list[dict], out_dir: Path, opt: Options, extra: dict) -> dict:
    """examples.jsonl and manifest.json (with the JSONL's sha256, the mix, the settings and the prompt's hash)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    examples = list(examples)
    random.Random(opt.seed).shuffle(examples)  # made kind by kind; trained in a mixed order
    path = out_dir / "examples.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for i, e in enumerate(examples, start=1):
            f.write(json.dumps({"id": f"t{i:05d}", **e}, ensure_ascii=False) + "\n")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    system = load_prompt("system", opt.prompts_dir)
    manifest = {"file": path.name, "sha256": digest, "examples": len(examples),
                "refusal_share": round(sum(e["refusal"] for e in examples) / max(1, len(examples)), 4),
                "by_type": dict(Counter(e["type"] for e in examples)),
                "oracle_added": sum(bool(e.get("oracle_added")) for e in examples),
                "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(opt).items()},
                "system_prompt_sha256": hashlib.sha256(system.encode()).hexdigest(), **extra}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest
