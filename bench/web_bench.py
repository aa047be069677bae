"""Web pages under load: "my work" and the project page (issue: web figures).

    python bench/web_bench.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/accompany_webbench

Builds the synthetic city (10,000 projects, ~1,000,000 events: bench/synthetic.py;
--reuse keeps one already built), serves the web app with uvicorn in a separate
process (one worker, as `accompany web` runs it, on 127.0.0.1), signs in a set of
people (planners, street offices, districts and coordinators of different streets)
and drives the pages with 1, 8 and 32 concurrent clients (asyncio, one keep-alive
connection per client; a minimal HTTP/1.1 client, not httpx, whose CPU per request
was more than the floor's server time on this two-core machine):

- "my work" (GET /) of a planner, a street office, a coordinator (the project
  list) and a district — the server keeps a rendered page until anything but an
  account changes in the city, and the district's figures (a replay of the quarter's
  events) until its projects change: kept pages are measured with the others, first
  loads (all kept pages dropped before each round) separately;
- the project page (GET /projects/{id}) of projects the signed-in person may see:
  kept pages (the server keeps a rendered page until its project, the people or the
  calendar change: every (person, project) pair is visited once in the warm-up) with
  the others, and first renders (the kept pages dropped before each round, each pair
  at most once a round) separately.

Server time: the served ASGI app is wrapped (here, not in the product) by a layer
that times each request from the moment the ASGI app is called to the start of its
response — the whole page is rendered by then — and sends it back as a
``Server-Timing: app;dur=…`` header. It includes the wait for the thread pool and
the GIL under concurrency, but not the time a request sits in the socket before the
event loop reads it, nor the client; the time seen by the client on loopback is
printed beside it, with the server process's CPU time per request (from /proc) —
the steadiest figure on a shared machine — and the garbage collector's pauses in the
server during the measurement.

The floor: in the same server process, behind the same wrapper, a bare FastAPI app
whose one (sync, like the pages) route selects one project row by primary key
through the app's SQLAlchemy engine and answers it as JSON. Floor and pages are
measured interleaved (rounds, pages shuffled in each round) at each concurrency, so
noise from the machine falls on both alike.

Goal: p95 ≤ 50 ms at 8 clients and ≤ 3× the floor's p95 at the same concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/accompany_webbench"
NOW = dt.datetime(2026, 11, 24, 2, tzinfo=dt.UTC)  # 10:00 in Beijing, the synthetic city's today
PASSWORD = "web-bench-Passw0rd-2026"
FLOOR_PREFIX = "/__floor/"
CLEAR_PATH = "/__bench/clear-overviews"
GC_PATH = "/__bench/gc-pauses"
FLOOR = "floor: 1 SELECT by id"
DISTRICT_FIRST = "my work: district, 1st load"
PROJECT_FIRST = "project page, 1st render"
WORK_FIRST = "my work: others, 1st render"


# -- the server process -----------------------------------------------------------------------


def served_app(url: str) -> Any:
    """The web app as `accompany web` builds it (on the city's fixed clock), and the
    floor, behind the timing wrapper."""
    from fastapi import FastAPI
    from sqlalchemy import bindparam

    from accompany.bootstrap import Origin, build_app
    from accompany.clock import FixedClock
    from accompany.config.settings import Settings
    from accompany.db.orm import ProjectRow
    from accompany.services import worklists
    from accompany.web.app import create_web_app

    home = Path(tempfile.mkdtemp(prefix="accompany-webbench-"))
    application = build_app(
        Settings(home=home), database_url=url, clock=FixedClock(NOW), origin=Origin("web")
    )
    web = create_web_app(application)
    engine = application.engine
    project = ProjectRow.__table__
    by_id = select(project.c.id, project.c.name, project.c.street_id, project.c.status).where(
        project.c.id == bindparam("id")
    )
    floor = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @floor.get(FLOOR_PREFIX + "{project_id}")
    def one_project(project_id: int) -> dict[str, Any]:
        with engine.connect() as connection:
            row = connection.execute(by_id, {"id": project_id}).first()
        return {"id": row.id, "name": row.name, "street": row.street_id, "status": row.status} if row else {}

    # the garbage collector's pauses, by generation (they stop every request in flight)
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    gc_started = [0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            pauses[info["generation"]].append((time.perf_counter() - gc_started[0]) * 1000)

    gc.callbacks.append(on_gc)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await web(scope, receive, send)
            return
        if scope["path"] in (CLEAR_PATH, GC_PATH):
            if scope["path"] == CLEAR_PATH:
                worklists._OVERVIEWS.clear()
                web.state.pages.clear()
                body = b""
            else:
                body = json.dumps(pauses).encode()
                for values in pauses.values():
                    values.clear()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": body})
            return
        target = floor if scope["path"].startswith(FLOOR_PREFIX) else web
        started = time.perf_counter()

        async def timed_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - started) * 1000
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", []),
                        (b"server-timing", f"app;dur={took:.3f}".encode()),
                    ],
                }
            await send(message)

        await target(scope, receive, timed_send)

    return app


def serve(url: str, port: int) -> None:
    import uvicorn

    uvicorn.run(
        served_app(url), host="127.0.0.1", port=port, workers=1, log_level="warning", server_header=False
    )


# -- the people and what they look at ----------------------------------------------------------


@dataclass
class Visitor:
    person: str
    role: str
    cookie: str = ""
    projects: list[int] = field(default_factory=list)


def choose_visitors(url: str, seed: int) -> list[Visitor]:
    """Planners and street offices of 8 streets in 8 districts, those 8 districts'
    coordinators, and every district's planning bureau (first loads go through all
    16); each with up to 20 projects they may see."""
    from accompany.bootstrap import build_app
    from accompany.clock import FixedClock
    from accompany.config.settings import Settings
    from accompany.db.orm import ProjectRow
    from bench.synthetic import directory

    rng = random.Random(seed)
    districts = list(directory().districts)
    picked = rng.sample(districts, 8)
    app = build_app(Settings(home=Path(tempfile.mkdtemp())), database_url=url, clock=FixedClock(NOW))
    visitors = []
    with app.reader() as uow:

        def projects(*where: Any) -> list[int]:
            ids = list(uow.session.scalars(select(ProjectRow.id).where(*where).order_by(ProjectRow.id)))
            return rng.sample(ids, min(20, len(ids)))

        for district in picked:
            street = rng.choice(district.streets).id
            visitors.append(
                Visitor(f"{street}-pl", "planner", projects=projects(ProjectRow.planner_id == f"{street}-pl"))
            )
            visitors.append(
                Visitor(f"{street}-so", "street_office", projects=projects(ProjectRow.street_id == street))
            )
            visitors.append(
                Visitor(
                    f"{district.id}-coord",
                    "coordinator",
                    projects=projects(ProjectRow.district_id == district.id),
                )
            )
        for district in districts:
            visitors.append(
                Visitor(
                    f"{district.id}-ghj", "district", projects=projects(ProjectRow.district_id == district.id)
                )
            )
    return visitors


def sign_in_all(base: str, url: str, visitors: list[Visitor]) -> None:
    import httpx

    from accompany.bootstrap import build_app
    from accompany.clock import FixedClock
    from accompany.config.settings import Settings
    from accompany.services import accounts

    app = build_app(Settings(home=Path(tempfile.mkdtemp())), database_url=url, clock=FixedClock(NOW))
    for visitor in visitors:
        accounts.set_password(app, visitor.person, PASSWORD, by="bench")
        with httpx.Client(base_url=base) as client:
            form = client.get("/signin")
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
            if csrf is None:
                raise SystemExit("no csrf field on the sign-in page")
            answer = client.post(
                "/signin",
                data={"csrf": csrf.group(1), "account": visitor.person, "password": PASSWORD, "next": "/"},
            )
            session = answer.cookies.get("accompany_session")
            if answer.status_code != 303 or not session:
                raise SystemExit(f"sign-in of {visitor.person} failed: {answer.status_code}")
            visitor.cookie = (
                f"accompany_session={session}; accompany_pre={client.cookies.get('accompany_pre')}"
            )


# -- the load ----------------------------------------------------------------------------------

Request = tuple[str, str]  # (path, cookie header)


@dataclass
class Samples:
    server: list[float] = field(default_factory=list)  # ms, from Server-Timing
    client: list[float] = field(default_factory=list)  # ms, as the client saw it
    cpu_s: float = 0.0  # CPU time of the server process over these requests
    client_cpu_s: float = 0.0  # and of this (the clients') process

    @property
    def cpu_ms(self) -> float:
        return self.cpu_s * 1000 / max(1, len(self.server))


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_batch(base: str, requests: list[Request], clients: int, out: Samples, pid: int) -> None:
    before, client_before = process_cpu(pid), time.process_time()
    asyncio.run(run_batch(base, requests, clients, out))
    out.cpu_s += process_cpu(pid) - before
    out.client_cpu_s += time.process_time() - client_before


async def run_batch(base: str, requests: list[Request], clients: int, out: Samples) -> None:
    """``clients`` concurrent clients, each with its own keep-alive connection, taking
    the next request as soon as their last one is answered.

    A minimal HTTP/1.1 client on asyncio streams (GET, Content-Length bodies): the
    clients run on the same two cores as the server and PostgreSQL, and httpx spent
    more CPU per request (~1.3 ms) than the floor's server did (~1 ms)."""
    host, port = base.removeprefix("http://").split(":")
    queue = iter(requests)

    async def client_loop() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for path, cookie in queue:
                head = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: web-bench\r\n"
                if cookie:
                    head += f"Cookie: {cookie}\r\n"
                started = time.perf_counter()
                writer.write((head + "\r\n").encode("latin-1"))
                status_line = await reader.readline()
                headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                if "transfer-encoding" in headers:
                    raise SystemExit(f"GET {path}: a chunked answer (this client reads Content-Length)")
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                took = (time.perf_counter() - started) * 1000
                status = int(status_line.split()[1])
                if status != 200:
                    raise SystemExit(f"GET {path}: {status}\n{body[:500].decode(errors='replace')}")
                out.server.append(float(headers["server-timing"].split("dur=", 1)[1]))
                out.client.append(took)
        finally:
            writer.close()

    await asyncio.gather(*(client_loop() for _ in range(clients)))


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


@dataclass
class Page:
    name: str
    requests: Callable[[random.Random, int], list[Request]]


def project_viewers(visitors: list[Visitor]) -> list[Visitor]:
    return [v for v in visitors if v.role != "district"] + [v for v in visitors if v.role == "district"][:8]


def project_pairs(visitors: list[Visitor]) -> list[Request]:
    """Every project page the benchmark asks for: (viewer, project) pairs."""
    return [(f"/projects/{p}", v.cookie) for v in project_viewers(visitors) for p in v.projects]


def pages(visitors: list[Visitor], projects: int) -> list[Page]:
    def rotation(role: str) -> list[Visitor]:
        return [v for v in visitors if v.role == role][:8]

    def work_of(role: str) -> Callable[[random.Random, int], list[Request]]:
        who = rotation(role)
        return lambda rng, n: [("/", who[i % len(who)].cookie) for i in range(n)]

    viewers = project_viewers(visitors)

    def project_pages(rng: random.Random, n: int) -> list[Request]:
        out = []
        for _ in range(n):
            visitor = rng.choice(viewers)
            out.append((f"/projects/{rng.choice(visitor.projects)}", visitor.cookie))
        return out

    return [
        Page(FLOOR, lambda rng, n: [(f"{FLOOR_PREFIX}{rng.randint(1, projects)}", "") for _ in range(n)]),
        Page("my work: planner", work_of("planner")),
        Page("my work: street office", work_of("street_office")),
        Page("my work: district (cached)", work_of("district")),
        Page("my work: coordinator", work_of("coordinator")),
        Page("project page (kept)", project_pages),
    ]


def measure(
    base: str,
    pid: int,
    visitors: list[Visitor],
    levels: list[int],
    per_level: int,
    rounds: int,
    projects: int,
    seed: int,
) -> tuple[dict[tuple[str, int], Samples], dict[str, list[float]]]:
    """The samples per (page, clients), and the garbage collector's pauses (ms) in
    the server during them, by generation."""
    import httpx

    rng = random.Random(seed)
    all_pages = pages(visitors, projects)
    results: dict[tuple[str, int], Samples] = {}
    print("warming up …", file=sys.stderr)
    httpx.get(base + CLEAR_PATH)
    for page in all_pages:
        asyncio.run(run_batch(base, page.requests(rng, 60), 4, Samples()))
    asyncio.run(run_batch(base, project_pairs(visitors), 4, Samples()))  # every project page kept
    httpx.get(base + GC_PATH)  # count the collector's pauses from here on
    for clients in levels:
        print(f"  {clients} client(s) …", file=sys.stderr)
        for _ in range(rounds):
            order = list(all_pages)
            rng.shuffle(order)
            for page in order:
                samples = results.setdefault((page.name, clients), Samples())
                timed_batch(base, page.requests(rng, per_level // rounds), clients, samples, pid)
    return results, httpx.get(base + GC_PATH).json()


def first_loads(
    base: str, pid: int, visitors: list[Visitor], levels: list[int], rounds: int, seed: int
) -> dict[tuple[str, int], Samples]:
    """Pages right after what the server kept was dropped (as after a change): the
    district's page (every district once per round), the other people's "my work"
    (each once per round) and project pages (200 distinct (viewer, project) pairs per
    round), at each concurrency."""
    import httpx

    rng = random.Random(seed + 1)
    districts = [("/", v.cookie) for v in visitors if v.role == "district"]
    others = [("/", v.cookie) for v in visitors if v.role != "district"]
    pairs = project_pairs(visitors)
    out: dict[tuple[str, int], Samples] = {}
    for clients in levels:
        print(f"  first loads, {clients} client(s) …", file=sys.stderr)
        for _ in range(rounds):
            httpx.get(base + CLEAR_PATH)
            timed_batch(base, districts, clients, out.setdefault((DISTRICT_FIRST, clients), Samples()), pid)
            timed_batch(base, others, clients, out.setdefault((WORK_FIRST, clients), Samples()), pid)
            chosen = rng.sample(pairs, min(200, len(pairs)))
            timed_batch(base, chosen, clients, out.setdefault((PROJECT_FIRST, clients), Samples()), pid)
    return out


def start_server(url: str, port: int) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve", "--postgres", url, "--port", str(port)],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode})")
        try:
            if httpx.get(base + FLOOR_PREFIX + "1", timeout=2).status_code == 200:
                return server, base
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    server.terminate()
    raise SystemExit("the server did not answer within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", default=DEFAULT_URL, help="PostgreSQL URL (its tables are emptied)")
    parser.add_argument("--reuse", action="store_true", help="reuse the synthetic city already built")
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--clients", default="1,8,32", help="concurrency levels")
    parser.add_argument("--requests", type=int, default=400, help="requests per page and level")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds per level")
    parser.add_argument("--first-load-rounds", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        serve(options.postgres, options.port)
        return
    from bench.synthetic import build_city

    if not options.reuse:
        print(f"building a city of {options.projects} projects on PostgreSQL …", file=sys.stderr)
        print(f"  {build_city(options.postgres, options.projects, quiet=True)}", file=sys.stderr)
    levels = [int(c) for c in options.clients.split(",")]
    visitors = choose_visitors(options.postgres, options.seed)
    server, base = start_server(options.postgres, options.port)
    try:
        print(f"signing in {len(visitors)} people …", file=sys.stderr)
        sign_in_all(base, options.postgres, visitors)
        results, gc_pauses = measure(
            base,
            server.pid,
            visitors,
            levels,
            options.requests,
            options.rounds,
            options.projects,
            options.seed,
        )
        firsts = first_loads(
            base, server.pid, visitors, [c for c in levels if c <= 8], options.first_load_rounds, options.seed
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    report(results, firsts, gc_pauses, levels, options)


def report(
    results: dict[tuple[str, int], Samples],
    firsts: dict[tuple[str, int], Samples],
    gc_pauses: dict[str, list[float]],
    levels: list[int],
    options: Any,
) -> None:
    names = list(dict.fromkeys(name for name, _ in results))
    print(
        f"web pages, 10,000-project city on PostgreSQL, one uvicorn worker on 127.0.0.1; "
        f"{options.requests} requests per page and level in {options.rounds} interleaved rounds"
    )
    print(
        "ms; p50/p95 = server time (Server-Timing of the served app); client p95 = seen by the client "
        "on loopback; cpu = server process CPU per request"
    )
    print(
        f"{'page':30}{'clients':>8}{'p50':>8}{'p95':>8}{'client p95':>11}{'cpu':>6}"
        f"{'floor p50':>10}{'floor p95':>10}{'p95/floor':>10}"
    )
    rows = [(name, clients, results[(name, clients)]) for name in names for clients in levels]
    rows += [(name, clients, s) for (name, clients), s in firsts.items()]
    verdicts = []
    for name, clients, s in rows:
        f = results[(FLOOR, clients)]
        p95, floor95 = percentile(s.server, 95), percentile(f.server, 95)
        ratio = p95 / floor95
        print(
            f"{name:30}{clients:>8}{statistics.median(s.server):>8.1f}{p95:>8.1f}"
            f"{percentile(s.client, 95):>11.1f}{s.cpu_ms:>6.1f}"
            f"{statistics.median(f.server):>10.1f}{floor95:>10.1f}{ratio:>9.1f}×"
        )
        if clients == 8 and name != FLOOR:
            verdicts.append((name, p95 <= 50 and ratio <= 3, p95, ratio))
    print(
        "garbage collector in the server during the measurement: "
        + ", ".join(
            f"gen{g} {len(v)}× (total {sum(v):.0f} ms, longest {max(v, default=0):.1f} ms)"
            for g, v in sorted(gc_pauses.items())
        )
    )
    print("goal at 8 clients: p95 ≤ 50 ms and ≤ 3× the floor's p95")
    for name, ok, p95, ratio in verdicts:
        print(f"  {name:30} {'holds ' if ok else 'MISSED'} (p95 {p95:.1f} ms, {ratio:.1f}× the floor)")


if __name__ == "__main__":
    main()
