"""Stage transitions per second through the service layer (one thread, or
``--threads`` callers in one process), next to their floor measured in the same run
(alternating rounds, medians), and the client CPU each transition costs.

    python bench/transition_bench.py --url postgresql+psycopg://postgres@127.0.0.1:5432/accompany_bench

The database must hold a synthetic city (``bench/city_bench.py`` or
``bench.synthetic.build_city``); each round consumes open stages (done + approvals).
Floor: one raw ``UPDATE`` + ``COMMIT`` per transition on the same engine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from accompany.bootstrap import build_app
from accompany.clock import FixedClock
from accompany.config.settings import Settings
from accompany.db.orm import StageRow
from bench.city_bench import NOW, open_stages, raw_commit_rate, transitions


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--stages", type=int, default=60, help="stages done (then approved) per round")
    parser.add_argument(
        "--threads", type=int, default=1, help="callers in one process (city_bench measures 1 and 4)"
    )
    options = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="accompany-bench-"))
    document = home / "doc.pdf"
    document.write_bytes(b"%PDF-1.4 bench")
    app = build_app(Settings(home=home), database_url=options.url, clock=FixedClock(NOW))
    with app.reader() as uow:
        ids = list(uow.session.scalars(select(StageRow.id).limit(1000)))
    # warm up: caches, prepared statements
    transitions(app, open_stages(app, 10), document)
    rates, floors, cpu = [], [], []
    for round_ in range(options.rounds):
        chunks = [open_stages(app, options.stages, offset=options.stages * i) for i in range(options.threads)]
        started, wall = time.process_time(), time.perf_counter()
        results: list[tuple[int, float]] = []
        threads = [
            threading.Thread(
                target=lambda c=c, out=results, seed=round_: out.append(
                    transitions(app, c, document, seed=seed)
                )
            )
            for c in chunks
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done = sum(n for n, _ in results)
        cpu.append((time.process_time() - started) / done)
        rates.append(done / (time.perf_counter() - wall))
        floors.append(raw_commit_rate(app, ids))
        print(f"  round {round_ + 1}: {rates[-1]:.0f}/s (floor {floors[-1]:.0f}/s)", file=sys.stderr)
    rate, floor = statistics.median(rates), statistics.median(floors)
    print(
        f"stage transitions, {options.threads} thread(s): {rate:.0f}/s "
        f"(floor {floor:.0f}/s, {floor / rate:.1f}×; "
        f"median of {options.rounds} rounds of {options.stages} stages); "
        f"client CPU {statistics.median(cpu) * 1000:.2f} ms per transition"
    )


if __name__ == "__main__":
    main()
