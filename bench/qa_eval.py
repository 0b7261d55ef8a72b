"""Retrieval quality and latency on the dev set (bench/data/qa_dev_*.yaml).

    python bench/qa_eval.py [--errors] [--split dev|holdout|all]

Prints the ranking's top-1 accuracy and top-3 recall (the engine's best candidates), what
users actually get (a confident answer that is right or wrong, 您是不是想问 suggestions, a plain
没有找到), the share of out-of-scope questions declined (no confident answer) and p50/p99
latency per question.
The thresholds were tuned on every third question only ("tune" split); "holdout" is the rest.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge import default_index  # noqa: E402
from knowledge.search import Outcome  # noqa: E402


def load_dev(split: str) -> list[dict[str, str]]:
    """Every dev question; the tune split is every third one, the holdout the rest."""
    items: list[dict[str, str]] = []
    for path in sorted((ROOT / "bench" / "data").glob("qa_dev_*.yaml")):
        items.extend(yaml.safe_load(path.read_text(encoding="utf-8")))
    if split == "tune":
        return items[::3]
    if split == "holdout":
        return [q for i, q in enumerate(items) if i % 3]
    return items


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--errors", action="store_true", help="list every miss")
    parser.add_argument("--split", default="all", choices=["all", "tune", "holdout"])
    args = parser.parse_args()
    started = time.perf_counter()
    index = default_index()
    build = time.perf_counter() - started
    dev = load_dev(args.split)
    known = set(index.by_id)
    missing = {q["expect"] for q in dev if q["expect"] != "none" and q["expect"] not in known}
    if missing:
        print(f"dev set names unknown entries: {sorted(missing)}")
        return 1
    for q in dev[:20]:  # warm caches so latency reflects steady state
        index.search(q["q"])
    latencies: list[float] = []
    counts: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    by_kind_ok: Counter[str] = Counter()
    errors: list[str] = []
    for q in dev:
        t0 = time.perf_counter()
        result = index.search(q["q"])
        latencies.append((time.perf_counter() - t0) * 1000)
        expect = q["expect"]
        answered = result.outcome is Outcome.ANSWERED
        top3 = [h.entry.id for h in result.hits[:3]]
        ranked = [h.entry.id for h in index.candidates(q["q"])[:3]]
        if expect == "none":
            counts["oos"] += 1
            counts["oos_declined"] += not answered
            counts["oos_none"] += result.outcome is Outcome.NONE
            ok = not answered
        else:
            counts["in"] += 1
            counts["rank1"] += bool(ranked) and ranked[0] == expect
            counts["rank3"] += expect in ranked
            counts["top1"] += answered and top3[0] == expect
            counts["top3"] += expect in top3
            counts["wrong_confident"] += answered and top3[0] != expect
            counts["declined"] += not answered
            counts["none"] += result.outcome is Outcome.NONE
            counts["suggested_right"] += result.outcome is Outcome.SUGGESTED and expect in top3
            ok = answered and top3[0] == expect
        by_kind[q["kind"]] += 1
        by_kind_ok[q["kind"]] += ok
        if not ok:
            got = f"{result.outcome.value}:{top3[0] if top3 else '-'}({result.score:.2f})"
            errors.append(f"[{q['kind']}] {q['q']}  expect={expect}  got={got}  top3={top3}")
    n_in, n_oos = counts["in"], counts["oos"]
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"knowledge base: {len(index.entries)} entries, index built in {build:.2f} s")
    print(f"dev set ({args.split}): {len(dev)} questions, {n_in} in scope, {n_oos} out of scope")
    print("ranking (the engine's best candidates, before the confidence decision)")
    print(f"  top-1 accuracy:                     {counts['rank1'] / n_in:.1%}")
    print(f"  top-3 recall:                       {counts['rank3'] / n_in:.1%}")
    print("what users get, in scope")
    print(f"  confident answer, right:            {counts['top1'] / n_in:.1%}")
    print(f"  confident answer, wrong:            {counts['wrong_confident'] / n_in:.1%}")
    print(
        f"  no confident answer (declined):     {counts['declined'] / n_in:.1%}"
        f"  = 您是不是想问 with the right entry {counts['suggested_right'] / n_in:.1%}"
        f", plain 没有找到 {counts['none'] / n_in:.1%}"
    )
    print(f"  right entry shown (answer or 3 suggestions): {counts['top3'] / n_in:.1%}")
    print("out of scope")
    print(
        f"  declined (no confident answer):     {counts['oos_declined'] / max(n_oos, 1):.1%}"
        f"  (plain 没有找到: {counts['oos_none'] / max(n_oos, 1):.1%})"
    )
    for kind in sorted(by_kind):
        ok, n = by_kind_ok[kind], by_kind[kind]
        print(f"  {kind:<8} {ok}/{n} = {ok / n:.1%}")
    print(
        f"latency per question: p50 {statistics.median(latencies):.2f} ms, p99 {p99:.2f} ms, "
        f"max {latencies[-1]:.2f} ms"
    )
    if args.errors:
        print("\n".join(errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
