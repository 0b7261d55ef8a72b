"""Fit the ranker and its calibrator; write ranker.yaml.

    python bench/train_ranker.py

Fitted on the tune split of the dev set (every third dev question) and the dev split of the
blind set (bench/data/blind, even positions). The blind holdout is never read here.
Ranker: a listwise softmax over the top candidates of each question (the right entry should get
the highest score). Calibrator: logistic regression of "the best candidate is right" (out-of-
scope questions are never right) on the best score, its lead over the runner-up and its word
coverage. Thresholds: answer when P >= answer_at, the lowest value at which at most 5% of the
tune split's confident answers are wrong and at most 5% of its out-of-scope questions are
answered; suggest when P >= suggest_at, the value that still
declines (no suggestions) 60% of the out-of-scope questions that reach the ranker.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.qa_eval import DECLINE, expected, load_blind, load_dev  # noqa: E402
from knowledge.loader import load_entries  # noqa: E402
from knowledge.search import CALIBRATION, FEATURES, KnowledgeIndex, RankerModel, signals  # noqa: E402

OUT = ROOT / "knowledge" / "data" / "ranker.yaml"
# A confident wrong answer about the law is worse than "没有找到": keep them rare.
MAX_WRONG = 0.02  # at most this share of confident answers may be wrong on the training set
MAX_OOS_ANSWERED = 0.03  # ... and at most this share of gap/out-of-scope questions answered
# Out-of-scope questions that pass the vocabulary gate and still score like real ones: this
# share of them must get a plain "没有找到" rather than 您是不是想问 suggestions (the rest see
# three suggestions and the "留给工作人员" button, never an answer).
SUGGEST_QUANTILE = 0.6


def fit_ranker(groups: list[tuple[np.ndarray, np.ndarray]], iters: int = 3000) -> np.ndarray:
    """Listwise softmax regression with a little L2."""
    w = np.ones(groups[0][0].shape[1])
    for _ in range(iters):
        grad = np.zeros_like(w)
        for x, y in groups:
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            grad += x.T @ (p - y)
        w -= 2.0 * (grad / len(groups) + 1e-3 * w)
    return w


def fit_logistic(x: np.ndarray, y: np.ndarray, iters: int = 20000) -> np.ndarray:
    """Logistic regression (non-negative weights) on standardised features; raw-scale weights."""
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / std])
    w = np.zeros(z.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(z @ w)))
        w -= 0.5 * (z.T @ (p - y) / len(y) + 1e-3 * w)
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
    tune = load_dev("tune") + load_blind("dev")
    for q in tune:
        q["want"] = set(expected(q)) - set(DECLINE)
    groups, rows = [], []
    for q in tune:
        hits = index.candidates(q["q"])
        if not hits or index.is_foreign(q["q"]):
            continue
        x = np.array([h.features for h in hits])
        y = np.array([h.entry.id in q["want"] for h in hits], float)
        if y.sum():
            groups.append((x, y))
        rows.append((q, hits))
    weights = fit_ranker(groups)
    calib_x, calib_y = [], []
    for q, hits in rows:
        scores = np.array([h.features for h in hits]) @ weights
        order = np.argsort(-scores)
        best, second = order[0], order[1] if len(order) > 1 else order[0]
        lead = scores[best] - scores[second] if len(order) > 1 else 1.0
        top = hits[best]
        ranked = type(top)(top.entry, float(scores[best]), top.coverage, top.features)
        calib_x.append(list(signals(ranked, float(lead), index.known_share(q["q"]), q["q"])))
        calib_y.append(float(hits[best].entry.id in q["want"]))
    x, y = np.array(calib_x), np.array(calib_y)
    calibration = fit_logistic(x, y)
    z = np.hstack([np.ones((len(x), 1)), x]) @ calibration
    p = 1 / (1 + np.exp(-z))
    print(
        "P quantiles (right / wrong):",
        np.quantile(p[y == 1], [0.1, 0.5]).round(2),
        np.quantile(p[y == 0], [0.5, 0.9]).round(2),
    )
    oos = np.array([not q["want"] for q, _ in rows])
    all_oos = sum(not q["want"] for q in tune)
    answer_at = 0.95
    for t in np.arange(0.30, 0.95, 0.01):
        answered = p >= t
        wrong = 1 - y[answered].mean() if answered.sum() else 1.0
        # Out-of-scope questions the vocabulary gate declined count as declined.
        oos_answered = answered[oos].sum() / max(all_oos, 1)
        if wrong <= MAX_WRONG and oos_answered <= MAX_OOS_ANSWERED:
            answer_at = float(t)
            break
    suggest_at = float(np.quantile(p[oos], SUGGEST_QUANTILE)) if oos.any() else 0.2
    suggest_at = min(suggest_at, answer_at - 0.05)
    model = {
        "note": "fitted by bench/train_ranker.py on the tune split of bench/data; do not edit",
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
