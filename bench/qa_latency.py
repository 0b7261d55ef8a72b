"""Answer latency of the whole pipeline (knowledge.answer) in CPU time per message.

    python bench/qa_latency.py

Every blind and dev question, each once after a warm-up, with the asker's business type.
CPU time of this process (time.process_time), not wall time: on a shared machine the wall
clock mostly measures the other processes; bench/qa_eval.py prints the wall-clock figures.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.qa_eval import USER_BUSINESS, load_blind, load_dev  # noqa: E402
from knowledge import answer, default_index  # noqa: E402

WARM_UP = 50


def main() -> int:
    index = default_index()
    items = load_blind("all") + load_dev("all")
    for item in items[:WARM_UP]:
        answer(index, item["q"])
    spent: list[float] = []
    for item in items:
        business = USER_BUSINESS.get(item.get("user", ""))
        started = time.process_time()
        answer(index, item["q"], business_type=business)
        spent.append((time.process_time() - started) * 1000)
    spent.sort()
    n = len(spent)
    print(
        f"{n} messages, CPU ms per message: p50 {spent[n // 2]:.2f}, "
        f"p90 {spent[int(n * 0.9)]:.2f}, p99 {spent[int(n * 0.99)]:.2f}, max {spent[-1]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
