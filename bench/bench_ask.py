"""Ask Lucky answer times on the offline engine, at --scale 1 by default.

    python bench/bench_ask.py [--scale 1] [--demo PATH] [--repeat 1]

Measures: the first answer in a fresh process (cold: engines, vocabulary), then every question
of the question set (tests/ask_questions.py) ("warm": engines and vocabulary loaded, the
question itself not seen before), then the same
questions again from the answer cache ("cached"); the answer cache is emptied
before each round (a repeated phrasing within a round is a cache hit, as in use). Reports p50/p95/max in ms and writes
bench/out/ask_scale<scale>.json. Goal (issue 16): p95 warm <= 300 ms at scale 1.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--demo", default=None)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    from lucky import config
    path = Path(args.demo) if args.demo else config.data_dir() / f"demo_ask_s{args.scale:g}.duckdb"
    if not path.exists():
        from lucky.demo.build import build
        print(f"building the scale-{args.scale:g} demo at {path} (once)…", file=sys.stderr)
        build(str(path), scale=args.scale)
    os.environ["LUCKY_DATABASE_URL"] = str(path)

    import ask_questions  # the question texts only; expected values are the tests' business

    from lucky.ask import engine
    from lucky.core import Viewer

    viewer = Viewer("marketing", name="bench")
    t0 = time.perf_counter()
    engine.ask("How many orders did 8th & Broadway do yesterday?", viewer, use_llm=False)
    cold = (time.perf_counter() - t0) * 1000
    vocab, _ = engine.vocabulary()
    # Only the question texts are needed: stub the hand-written expectation queries out.
    ask_questions._one = lambda *a, **k: 1.0
    ask_questions._rows = lambda *a, **k: [["x", 1.0]] * 10
    questions = [q for q, _, _ in ask_questions.cases(vocab.as_of, vocab.first)]
    warm, cached, slow = [], [], []
    for _ in range(args.repeat):
        engine.clear_cache(answers_only=True)
        for q in questions:
            t = time.perf_counter()
            engine.ask(q, viewer, use_llm=False)
            warm.append((time.perf_counter() - t) * 1000)
            slow.append((warm[-1], q))
        for q in questions:
            t = time.perf_counter()
            engine.ask(q, viewer, use_llm=False)
            cached.append((time.perf_counter() - t) * 1000)
    load = os.getloadavg()
    result = {"scale": args.scale, "questions": len(questions), "cold_first_ms": round(cold, 1),
              "warm_p50_ms": round(statistics.median(warm), 1), "warm_p95_ms": round(_pct(warm, 0.95), 1),
              "warm_max_ms": round(max(warm), 1), "cached_p95_ms": round(_pct(cached, 0.95), 2),
              "slowest": [f"{ms:.0f} ms {q}" for ms, q in sorted(slow, reverse=True)[:5]],
              "load_avg_1m": round(load[0], 2), "cores": os.cpu_count(), "goal_warm_p95_ms": 300}
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"ask_scale{args.scale:g}.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
