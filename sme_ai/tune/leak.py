"""The leak check: no training question may be a paraphrase of a question of the dev set.

Similarity is the Jaccard index of the character bigrams (`sme_ai.text.bigrams`) of the two normalised questions
(traditional → simplified, full width → half width, so a traditional rewrite of a dev question counts as the same
question). The threshold is set between two measured populations (`measure()` reproduces the numbers; the fast
test asserts they still hold):

- PARAPHRASES below: a dev question and a rewrite as an owner would ask it (another word order, 多少 ↔ 要达到多少,
  an added opener, traditional ↔ simplified, a dropped qualifier). Measured: min 0.27, median 0.49, max 0.75.
- unrelated pairs: two dev questions whose gold passages lie in different documents (13,551 pairs, all on the same
  narrow topic, so they share "中小企业", "数字化", "转型", "多少" …). Measured: 99th percentile 0.16, 99.9th 0.29, max
  0.49 (two "…行动方案的文号是多少？" questions about the 2020 and the 2025 plans: same template, different facts).

THRESHOLD = 0.25 lies below every paraphrase pair (0.27) and above 99 % of the unrelated same-topic pairs: the check
errs towards rejecting, which costs the builder a few template questions, never a leak. Its limit: a rewording that
replaces most words with synonyms can fall below any bigram threshold; the template questions are made from corpus
sentences, not from dev questions, so that case would need a deliberate rewrite.
"""

from __future__ import annotations

import json
from pathlib import Path

from sme_ai.text import bigrams, normalize_text

THRESHOLD = 0.25

PARAPHRASES: tuple[tuple[str, str], ...] = (
    ("到2027年，中小企業上雲率要達到多少？", "到2027年中小企业的上云率目标是多少？"),
    ("What cloud adoption rate does the 2025–2027 action plan set for SMEs by 2027?",
     "By 2027, what cloud adoption rate does the action plan set for SMEs?"),
    ("新出的《中小企业数字化赋能专项行动方案（2025—2027年）》到底是哪几个部门一起发的？",
     "《中小企业数字化赋能专项行动方案（2025—2027年）》是哪些部门联合印发的？"),
    ("老听人说行动方案要“点线面”结合推进，点、线、面分别指什么？", "行动方案里说的点线面结合，点线面各指什么？"),
    ("申請專精特新中小企業，上年度研發費用至少要多少？", "申报专精特新中小企业，研发费用最少要多少？"),
    ("數字化轉型城市試點，省會城市最多可以拿到多少中央財政獎勵？", "省会城市参加数字化转型城市试点，中央财政最多奖励多少？"),
    ("比特币现在值得入手吗？", "现在买比特币值得吗？"),
    ("2028年到2030年的中小企业数字化赋能专项行动方案定了什么目标？", "2028—2030年的数字化赋能专项行动方案有什么目标？"),
    ("我们年营收8000万，想冲国家级“小巨人”，研发投入占比得达到多少？", "年营收8000万的企业申报国家级小巨人，研发投入占比要多少？"),
    ("东莞是哪一批的国家试点城市？中央资金到位了多少？", "东莞属于第几批国家试点城市，中央资金到位多少？"),
)


def similarity(a: str, b: str) -> float:
    x, y = bigrams(normalize_text(a)), bigrams(normalize_text(b))
    return len(x & y) / len(x | y) if x and y else 0.0


def dev_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def dev_questions(path: Path) -> list[str]:
    """Every question of the dev set, follow-up turns' earlier questions included."""
    out = []
    for r in dev_rows(path):
        out.append(r["question"])
        for h in r.get("history") or []:  # earlier turns: a question, a (question, answer) pair or a dict
            out.append(h if isinstance(h, str) else h[0] if isinstance(h, (list, tuple)) else h.get("question", ""))
    return [q for q in out if q]


class LeakCheck:
    """The dev questions' bigram sets, prepared once; `closest` is the most similar dev question and its score."""

    def __init__(self, questions: list[str], threshold: float = THRESHOLD):
        self.questions = questions
        self.sets = [bigrams(normalize_text(q)) for q in questions]
        self.threshold = threshold

    def closest(self, question: str) -> tuple[float, str]:
        b = bigrams(normalize_text(question))
        best = (0.0, "")
        for q, s in zip(self.questions, self.sets):
            if b and s:
                j = len(b & s) / len(b | s)
                if j > best[0]:
                    best = (j, q)
        return best

    def leaks(self, question: str) -> bool:
        return self.closest(question)[0] >= self.threshold


def measure(dev_rows: list[dict]) -> dict[str, float]:
    """The two populations behind THRESHOLD: the paraphrase pairs, and pairs of dev questions whose gold passages
    lie in different documents (so they cannot be paraphrases of each other)."""
    para = sorted(similarity(a, b) for a, b in PARAPHRASES)
    srcs = [{g["source"] for g in r.get("gold", [])} for r in dev_rows]
    sets = [bigrams(normalize_text(r["question"])) for r in dev_rows]
    unrelated = sorted(len(sets[i] & sets[j]) / len(sets[i] | sets[j])
                       for i in range(len(dev_rows)) for j in range(i + 1, len(dev_rows))
                       if srcs[i] and srcs[j] and not srcs[i] & srcs[j] and sets[i] and sets[j])

    def q(p: float) -> float:
        return unrelated[min(len(unrelated) - 1, int(p * len(unrelated)))]

    return {"paraphrase_min": para[0], "paraphrase_median": para[len(para) // 2], "unrelated_p99": q(0.99),
            "unrelated_p999": q(0.999), "unrelated_max": unrelated[-1], "unrelated_pairs": len(unrelated)}
