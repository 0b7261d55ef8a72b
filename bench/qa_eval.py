"""Retrieval quality and latency on the dev set or the blind set.

    python bench/qa_eval.py [--set dev|blind] [--split ...] [--errors]

--set dev (bench/data/qa_dev_*.yaml): written together with the entries, it measures recall of
our own paraphrases. Splits: tune (every third question, used by bench/train_ranker.py),
holdout (the rest), all.

--set blind (bench/data/blind/*.yaml): written from who asks and why without looking at the
knowledge base, labelled afterwards (``expect``: an entry id, a list of ids any of which answers
it, ``gap`` when no entry does, ``oos`` when it is not about food safety). Splits: dev (even
positions of each file; may feed paraphrases, synonyms and fitting), holdout (odd positions,
frozen: never a source of anything), all. Figures are printed per split and per user type.

Each question goes through the same pipeline as the bot (knowledge.answer), with the business
type the asker would have chosen at /start.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge import default_index  # noqa: E402
from knowledge.search import KnowledgeIndex  # noqa: E402

BLIND_DIR = ROOT / "bench" / "data" / "blind"
USER_BUSINESS = {
    "catering": "catering",
    "small": "small",
    "canteen": "canteen",
    "online": "online",
    "retail": "retail",
    "production": "production",
    "consumer": "consumer",
}
DECLINE = ("gap", "oos")


def load_dev(split: str) -> list[dict[str, Any]]:
    """Every dev question; the tune split is every third one, the holdout the rest."""
    items: list[dict[str, Any]] = []
    for path in sorted((ROOT / "bench" / "data").glob("qa_dev_*.yaml")):
        items.extend(yaml.safe_load(path.read_text(encoding="utf-8")))
    if split == "tune":
        return items[::3]
    if split == "holdout":
        return [q for i, q in enumerate(items) if i % 3]
    return items


def load_blind(split: str) -> list[dict[str, Any]]:
    """Labelled blind questions; dev = even positions of each file, holdout = odd (frozen)."""
    items: list[dict[str, Any]] = []
    for path in sorted(BLIND_DIR.glob("*.yaml")):
        for i, item in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))):
            item["split"] = "holdout" if i % 2 else "dev"
            if split in ("all", item["split"]):
                items.append(item)
    return items


def expected(item: dict[str, Any]) -> tuple[str, ...]:
    """The acceptable entry ids, or ('gap',) / ('oos',)."""
    raw = item.get("expect")
    if raw is None:
        raise SystemExit(f"blind item {item.get('id')} has no label (expect)")
    if isinstance(raw, list):
        return tuple(str(x) for x in raw)
    if raw == "none":  # the dev set's word for out of scope
        return ("oos",)
    return (str(raw),)


@dataclass
class Tally:
    """What users got, counted per group."""

    n_in: int = 0
    right: int = 0
    wrong: int = 0
    shown: int = 0
    suggested_right: int = 0
    rank1: int = 0
    n_out: int = 0
    declined: int = 0
    declined_plain: int = 0

    def line(self, name: str) -> str:
        """One row of the per-group table."""
        pct = _pct
        return (
            f"  {name:<11} in-scope {self.n_in:>4}: right {pct(self.right, self.n_in):>6}"
            f"  wrong {pct(self.wrong, self.n_in):>6}  shown {pct(self.shown, self.n_in):>6}"
            f"  | gap/oos {self.n_out:>3}: declined {pct(self.declined, self.n_out):>6}"
        )


def _pct(k: int, n: int) -> str:
    return f"{k / n:.1%}" if n else "-"


def evaluate(
    index: KnowledgeIndex, items: list[dict[str, Any]], *, use_business: bool
) -> tuple[Tally, dict[str, Tally], dict[str, Tally], list[str], list[float]]:
    """Run every question through the pipeline; tallies overall, per user and per style."""
    from knowledge import answer

    total, per_user, per_style = Tally(), defaultdict(Tally), defaultdict(Tally)
    errors: list[str] = []
    latencies: list[float] = []
    known = set(index.by_id)
    for item in items:
        want = expected(item)
        unknown = [w for w in want if w not in DECLINE and w not in known]
        if unknown:
            raise SystemExit(f"{item.get('id', item['q'])} names unknown entries: {unknown}")
        business = USER_BUSINESS.get(item.get("user", "")) if use_business else None
        t0 = time.perf_counter()
        reply = answer(index, item["q"], business_type=business)
        latencies.append((time.perf_counter() - t0) * 1000)
        answered_ids = [p.entry.id for p in reply.answered]
        shown_ids = [*answered_ids, *(h.entry.id for h in reply.suggestions)]
        ranked = [h.entry.id for h in index.candidates(item["q"])[:1]]
        groups = (total, per_user[item.get("user", item.get("kind", "-"))])
        groups += (per_style[item.get("style", item.get("kind", "-"))],)
        if want[0] in DECLINE:
            ok = not answered_ids
            for t in groups:
                t.n_out += 1
                t.declined += ok
                t.declined_plain += not shown_ids
        else:
            right = bool(set(answered_ids) & set(want))
            wrong = bool(answered_ids) and not right
            ok = right
            for t in groups:
                t.n_in += 1
                t.right += right
                t.wrong += wrong
                t.shown += bool(set(shown_ids) & set(want))
                t.suggested_right += not answered_ids and bool(set(shown_ids) & set(want))
                t.rank1 += bool(ranked) and ranked[0] in want
        if not ok:
            got = ",".join(answered_ids) if answered_ids else reply.outcome.value
            sugg = ",".join(h.entry.id for h in reply.suggestions)
            errors.append(
                f"[{item.get('id', '')} {item.get('user', '')}/{item.get('style', '')}] "
                f"{item['q']}\n    expect={'|'.join(want)}  got={got}"
                f"  ({reply.confidence:.2f})  suggested={sugg}"
            )
    return total, per_user, per_style, errors, latencies


def report(name: str, index: KnowledgeIndex, items: list[dict[str, Any]], args: Any) -> None:
    """Print the figures for one split."""
    total, per_user, per_style, errors, latencies = evaluate(
        index, items, use_business=not args.no_business
    )
    n_in, n_out = total.n_in, total.n_out
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"\n== {name}: {len(items)} questions, {n_in} in scope, {n_out} gap/out of scope")
    print(f"  ranking top-1 (before the confidence decision): {_pct(total.rank1, n_in)}")
    print(f"  confident and right:                  {_pct(total.right, n_in)}")
    print(f"  confident and WRONG:                  {_pct(total.wrong, n_in)}")
    print(f"  right entry shown (answer or 3 sugg.): {_pct(total.shown, n_in)}")
    print(f"  您是不是想问 with the right entry:      {_pct(total.suggested_right, n_in)}")
    print(f"  gap/oos declined (no confident answer): {_pct(total.declined, n_out)}")
    print(f"  gap/oos plain 没有找到:                 {_pct(total.declined_plain, n_out)}")
    print("  per user type:")
    for user in sorted(per_user):
        print(per_user[user].line(user))
    print("  per style:")
    for style in sorted(per_style):
        print(per_style[style].line(style))
    print(
        f"  latency per question: p50 {statistics.median(latencies):.2f} ms, "
        f"p99 {p99:.2f} ms, max {latencies[-1]:.2f} ms"
    )
    if args.errors:
        print("\n".join(errors))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", dest="which", default="dev", choices=["dev", "blind"])
    parser.add_argument(
        "--split", default=None, help="dev set: all|tune|holdout; blind: dev|holdout|all"
    )
    parser.add_argument("--errors", action="store_true", help="list every miss")
    parser.add_argument(
        "--no-business", action="store_true", help="ask without the asker's business type"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    index = default_index()
    print(
        f"knowledge base: {len(index.entries)} entries, index ready in "
        f"{time.perf_counter() - started:.2f} s"
    )
    for item in load_dev("all")[:20]:  # warm caches so latency reflects steady state
        index.search(item["q"])
    if args.which == "dev":
        split = args.split or "all"
        report(f"dev set ({split})", index, load_dev(split), args)
        return 0
    splits = [args.split] if args.split else ["dev", "holdout"]
    for split in splits:
        report(f"blind set ({split})", index, load_blind(split), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
