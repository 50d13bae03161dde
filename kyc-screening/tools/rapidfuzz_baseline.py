"""The brute-force baseline the screening issue quotes: Python rapidfuzz,
`process.extract(query, names, scorer=fuzz.token_sort_ratio)` over every
name of every list, one thread, timed per query.

    cargo run --release -p kyc-screening --example dump_names -- ../shared/data/sanctions > /tmp/names.txt
    python3 -m pip install rapidfuzz
    python3 kyc-screening/tools/rapidfuzz_baseline.py /tmp/names.txt [QUERIES]

Prints a JSON line: names, queries, mean and p99 milliseconds per query.
Compare with `cargo bench -p kyc-screening --bench screening` (engine
latency) on the same machine.
"""

import json
import random
import sys
import time

from rapidfuzz import fuzz, process, utils


def main() -> None:
    names = [line.rstrip("\n") for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    rng = random.Random(20261125)
    queries = [rng.choice(names) for _ in range(count)]
    # perturb: swap two letters of each query, so exact hits are not special
    perturbed = []
    for q in queries:
        i = rng.randrange(max(1, len(q) - 1))
        perturbed.append(q[:i] + q[i + 1 : i + 2] + q[i : i + 1] + q[i + 2 :])
    times = []
    for q in perturbed:
        t = time.perf_counter()
        process.extract(
            q, names, scorer=fuzz.token_sort_ratio, processor=utils.default_process, limit=10
        )
        times.append((time.perf_counter() - t) * 1000.0)
    times.sort()
    print(
        json.dumps(
            {
                "baseline": "python rapidfuzz process.extract token_sort_ratio, default_process, one thread",
                "rapidfuzz": __import__("rapidfuzz").__version__,
                "names": len(names),
                "queries": count,
                "mean_ms": sum(times) / len(times),
                "p50_ms": times[len(times) // 2],
                "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))],
            }
        )
    )


if __name__ == "__main__":
    main()
