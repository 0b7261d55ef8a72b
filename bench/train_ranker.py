"""Fit the ranker and its calibrator; write ranker.yaml.

    python bench/train_ranker.py

Fitted on the tune split of the dev set (every third dev question) and the dev split of the
blind set (bench/data/blind, even positions). The blind holdout is never read here.
Ranker: a listwise softmax over the top candidates of each question (the right entry should get
the highest score); blind questions weigh BLIND_WEIGHT times our own paraphrases.
Calibrator: logistic regression of "the best candidate is right" (gap and out-of-scope questions
are never right) on the CALIBRATION signals of the best candidate (knowledge.search.signals).
Thresholds: answer when P >= answer_at, the value with the most right answers (a wrong one
costing WRONG_COST right ones) among those that keep, on each source, confident wrong answers
within MAX_WRONG of in-scope questions and answered gap/out-of-scope questions within
MAX_OOS_ANSWERED; suggest (您是不是想问) when P >= suggest_at, so that all but the least likely
SUGGEST_QUANTILE of in-scope blind questions are offered suggestions.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.qa_eval import DECLINE, USER_BUSINESS, expected, load_blind, load_dev  # noqa: E402
from knowledge.loader import load_entries  # noqa: E402
from knowledge.search import (  # noqa: E402
    BUSINESS_BONUS,
    CALIBRATION,
    FEATURES,
    Hit,
    KnowledgeIndex,
    RankerModel,
    signals,
)

OUT = ROOT / "knowledge" / "data" / "ranker.yaml"
# A confident wrong answer about the law is worse than "没有找到": keep them rare.
MAX_WRONG = 0.02  # at most this share of in-scope questions answered wrongly, per source
WRONG_COST = 5.0  # a confident wrong answer is worth this many right ones lost
MAX_OOS_ANSWERED = 0.05  # ... and at most this share of gap/out-of-scope questions answered
BLIND_WEIGHT = 2.0
SUGGEST_QUANTILE = 0.03
TRAIN_POOL = 30  # candidates per question: more negatives than the bot itself scores


def _bonus(hit: Hit, business: str | None) -> float:
    """What KnowledgeIndex.search adds for an entry that binds the asker's business type."""
    if not business or business in ("consumer", "other"):
        return 0.0
    return BUSINESS_BONUS if hit.entry.applies_to(business) else 0.0


def fit_ranker(
    groups: list[tuple[np.ndarray, np.ndarray, float]], iters: int = 3000
) -> np.ndarray:
    """Listwise softmax regression with a little L2; each group (question) has a weight."""
    w = np.ones(groups[0][0].shape[1])
    total = sum(g for _, _, g in groups)
    for _ in range(iters):
        grad = np.zeros_like(w)
        for x, y, g in groups:
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            grad += g * (x.T @ (p - y / y.sum()))  # several right entries share the target
        w -= 2.0 * (grad / total + 1e-3 * w)
    return w


def fit_logistic(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray, iters: int = 20000
) -> np.ndarray:
    """Weighted logistic regression (non-negative weights) on standardised features."""
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / std])
    w = np.zeros(z.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(z @ w)))
        w -= 0.5 * (z.T @ (weight * (p - y)) / weight.sum() + 1e-3 * w)
        # Every signal should only ever raise confidence; a negative weight would be an
        # artefact of correlated features on a small sample and generalise badly.
        w[1:] = np.maximum(w[1:], 0.0)
    raw = w[1:] / std
    return np.concatenate([[w[0] - float(raw @ mean)], raw])


def main() -> int:
    placeholder = RankerModel(
        (1.0,) * len(FEATURES), (0.0, 1.0) + (0.0,) * (len(CALIBRATION) - 1), 0.5, 0.3
    )
    index = KnowledgeIndex(load_entries(), model=placeholder)
    tune = [(q, 1.0, "dev") for q in load_dev("tune")]
    # The blind questions are how people really ask: they weigh more than our own paraphrases.
    tune += [(q, BLIND_WEIGHT, "blind") for q in load_blind("dev")]
    groups, rows = [], []
    for q, weight, origin in tune:
        want = set(expected(q)) - set(DECLINE)
        hits = index.candidates(q["q"], pool=TRAIN_POOL)
        if not hits or index.is_foreign(q["q"]):
            continue
        x = np.array([h.features for h in hits])
        y = np.array([h.entry.id in want for h in hits], float)
        if y.sum():
            groups.append((x, y, weight))
        rows.append((q["q"], want, hits, weight, origin, USER_BUSINESS.get(q.get("user", ""))))
    weights = fit_ranker(groups)
    calib_x, calib_y, calib_w = [], [], []
    for text, want, hits, weight, _, business in rows:
        scores = np.array([h.features for h in hits]) @ weights
        # The bot orders near-ties by the asker's business type: calibrate on that order.
        bonus = np.array([_bonus(h, business) for h in hits])
        order = np.argsort(-(scores + bonus), kind="stable")
        best = order[0]
        lead = scores[best] - scores[order[1]] if len(order) > 1 else 1.0
        top = hits[best]
        ranked = type(top)(top.entry, float(scores[best]), top.coverage, top.features)
        second = hits[order[1]] if len(order) > 1 else None
        calib_x.append(list(signals(ranked, float(lead), index.known_share(text), text, second)))
        calib_y.append(float(top.entry.id in want))
        calib_w.append(weight)
    x, y, w = np.array(calib_x), np.array(calib_y), np.array(calib_w)
    calibration = fit_logistic(x, y, w)
    z = np.hstack([np.ones((len(x), 1)), x]) @ calibration
    p = 1 / (1 + np.exp(-z))
    print(
        "P quantiles (right / wrong):",
        np.quantile(p[y == 1], [0.1, 0.5]).round(2),
        np.quantile(p[y == 0], [0.5, 0.9]).round(2),
    )
    declined = np.array([not want for _, want, *_ in rows])
    origin = np.array([o for _, _, _, _, o, _ in rows])
    # Questions the vocabulary gate already declined count as declined, in scope or not.
    n_in = {o: sum(1 for q, _, src in tune if src == o and set(expected(q)) - set(DECLINE))
            for o in ("dev", "blind")}  # fmt: skip
    n_out = {o: sum(1 for q, _, src in tune if src == o and not set(expected(q)) - set(DECLINE))
             for o in ("dev", "blind")}  # fmt: skip
    # The answer threshold: among those that keep confident wrong answers and answered gap or
    # out-of-scope questions within bounds on each source, the one that gives the most right
    # answers, a wrong one costing WRONG_COST right ones.
    answer_at, best_gain = 0.95, -np.inf
    for t in np.arange(0.30, 0.95, 0.01):
        answered = p >= t
        ok, gain = True, 0.0
        for o in ("dev", "blind"):
            mine = origin == o
            right_in = (answered & mine & (y == 1)).sum()
            wrong_in = (answered & mine & ~declined & (y == 0)).sum()
            out_answered = (answered & mine & declined).sum()
            ok &= wrong_in / max(n_in[o], 1) <= MAX_WRONG
            ok &= out_answered / max(n_out[o], 1) <= MAX_OOS_ANSWERED
            weight = BLIND_WEIGHT if o == "blind" else 1.0
            gain += weight * (right_in - WRONG_COST * (wrong_in + out_answered))
        if ok and gain > best_gain:
            answer_at, best_gain = float(t), gain
    # Suggestions are cheap and often right (the right entry is among the top three for most
    # real questions): offer them to all but the least likely few in-scope blind questions.
    in_blind = (origin == "blind") & ~declined
    suggest_at = float(np.quantile(p[in_blind], SUGGEST_QUANTILE)) if in_blind.any() else 0.2
    suggest_at = min(suggest_at, answer_at - 0.05)
    model = {
        "note": "fitted by bench/train_ranker.py (dev tune split + blind dev split); do not edit",
        "weights": {name: round(float(v), 4) for name, v in zip(FEATURES, weights, strict=True)},
        "calibration": {
            name: round(float(v), 4)
            for name, v in zip(("bias", *CALIBRATION), calibration, strict=True)
        },
        "answer_at": round(answer_at, 3),
        "suggest_at": round(suggest_at, 3),
    }
    OUT.write_text(yaml.safe_dump(model, allow_unicode=True, sort_keys=False), encoding="utf-8")
    print(yaml.safe_dump(model, allow_unicode=True, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
