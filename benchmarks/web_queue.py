"""Queue page latency benchmark (prints figures; not a test).

Seeds N documents (default 100,000) into a fresh database: clusters of 1–3
documents, places, topics and flags, and a triage item for one cluster in five
(about 13,000 items at the default), with statuses, routes and due times spread
like a working queue. Then signs in as an analyst and requests the queue page
(in-process, FastAPI TestClient: the server's own time, no network) with the
filters analysts use, and prints median and p95 latency per filter and overall.

    python benchmarks/web_queue.py [--n 100000] [--requests 40] [--database-url URL] [--json]

--database-url takes a PostgreSQL server URL (e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/postgres): a fresh database is
created on it and dropped afterwards. Target: p95 ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = ("misinformation", "scam_fraud", "threat_violence", "hate_abuse", "public_concern")
TOPICS = ("land_planning", "transport", "environment", "disasters_weather", "health", "education", "tourism",
          "economy_investment", "seaports_oil_gas", "public_order", "social_welfare_prices", "public_administration",
          "culture_sports")
PLACES = ("Phường Vũng Tàu", "Phường Bà Rịa", "Phường Phú Mỹ", "Xã Long Hải", "Đặc khu Côn Đảo", "Xã Xuyên Mộc",
          "Phường Tam Thắng", "Xã Châu Đức", "Cảng Cái Mép", "Xã Hồ Tràm")
STATUSES = ("new",) * 5 + ("in_review",) * 2 + ("routed", "acknowledged", "resolved", "dismissed")


def seed(url: str, n: int, seed_value: int = 7) -> None:
    from sqlalchemy import insert, select

    from mediawatch.settings import Settings
    from pipeline.triage import Routing, sync_units
    from storage.db import make_engine, make_session_factory
    from storage.migrate import upgrade
    from storage.models import Cluster, Document, Flag, PlaceMention, Source, TopicTag, TriageItem

    rng = random.Random(seed_value)
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    settings = Settings(database_url=url)
    with factory() as s:
        units = sync_units(s, Routing.load(settings.config_dir / "routing.yaml"))
        for i in range(20):
            s.add(Source(key=f"bench-{i}", name=f"Báo mẫu {i}", outlet=f"baomau{i}.example", kind="rss",
                         url=f"https://baomau{i}.example/rss"))
        s.commit()
        source_ids = list(s.scalars(select(Source.id)))
        unit_ids = {code: u.id for code, u in units.items()}
    now = dt.datetime.now(dt.UTC)
    doc_id = cluster_id = 0
    with engine.begin() as conn:
        while doc_id < n:
            clusters, docs, places, topics, flags, items = [], [], [], [], [], []
            for _ in range(2000):
                if doc_id >= n:
                    break
                cluster_id += 1
                size = rng.choice((1, 1, 1, 2, 3))
                created = now - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 90))
                clusters.append({"id": cluster_id, "size": size, "title": f"Tin số {cluster_id}",
                                 "first_seen_at": created, "last_seen_at": created})
                flagged = rng.random() < 0.2
                category = rng.choice(CATEGORIES)
                for _k in range(size):
                    doc_id += 1
                    docs.append({"id": doc_id, "url_canonical": f"https://baomau.example/bai-{doc_id}.html",
                                 "status": "ok", "title": f"Bài số {doc_id} về {rng.choice(PLACES)}",
                                 "text": "Nội dung bài viết mẫu. " * 40, "source_id": rng.choice(source_ids),
                                 "cluster_id": cluster_id, "created_at": created, "updated_at": created,
                                 "published_at": created})
                    place = rng.choice(PLACES)
                    places.append({"document_id": doc_id, "place_id": f"place-{PLACES.index(place)}", "place_name": place,
                                   "matched_text": "x", "field": "text", "start": 0, "ambiguous": False,
                                   "evidence": "x"})
                    topics.append({"document_id": doc_id, "topic": rng.choice(TOPICS), "score": 0.9,
                                   "model_version": "bench", "explanation": {}})
                    if flagged:
                        flags.append({"document_id": doc_id, "category": category, "score": rng.random(),
                                      "model_version": "bench", "explanation": {"matched_terms": []}})
                if flagged:
                    status = rng.choice(STATUSES)
                    police = category in ("scam_fraud", "threat_violence")
                    unit = unit_ids["cong-an" if police else "so-tttt"]
                    routed = status in ("routed", "acknowledged", "resolved")
                    items.append({"cluster_id": cluster_id, "status": status, "priority": rng.randint(10, 100),
                                  "categories": [category], "top_category": category, "suggested_unit_id": unit,
                                  "routed_unit_id": unit if routed else None, "created_at": created,
                                  "updated_at": created, "due_at": created + dt.timedelta(hours=24),
                                  "routed_at": created if routed else None})
            conn.execute(insert(Cluster), clusters)
            conn.execute(insert(Document), docs)
            conn.execute(insert(PlaceMention), places)
            conn.execute(insert(TopicTag), topics)
            if flags:
                conn.execute(insert(Flag), flags)
            if items:
                conn.execute(insert(TriageItem), items)
    if url.startswith("postgresql"):  # what autovacuum does in a running deployment; committed, or it is undone
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def measure(url: str, requests: int) -> dict[str, dict[str, float]]:
    from fastapi.testclient import TestClient

    from mediawatch.settings import Settings
    from storage.db import make_engine, make_session_factory
    from web.app import create_app
    from web.users import add_user

    settings = Settings(database_url=url)
    factory = make_session_factory(make_engine(url))
    with factory() as s:
        add_user(s, "bench", "benchmark-password", "analyst")
        s.commit()
    client = TestClient(create_app(settings, factory))
    r = client.post("/login", data={"username": "bench", "password": "benchmark-password", "next": "/queue"})
    assert r.status_code == 200, r.status_code
    cases = {
        "default (priority)": "/queue",
        "status=new": "/queue?status=new",
        "category=scam_fraud": "/queue?category=scam_fraud",
        "place": "/queue?place=place-0",
        "topic": "/queue?topic=tourism",
        "sort=recent": "/queue?sort=recent",
        "page 20": "/queue?page=20",
        "htmx rows": "/queue?status=new&category=public_concern",
    }
    out: dict[str, dict[str, float]] = {}
    every: list[float] = []
    for name, path in cases.items():
        headers = {"HX-Request": "true"} if name == "htmx rows" else {}
        client.get(path, headers=headers)  # warm-up
        times = []
        for _ in range(requests):
            t0 = time.perf_counter()
            resp = client.get(path, headers=headers)
            times.append((time.perf_counter() - t0) * 1000)
            assert resp.status_code == 200, (path, resp.status_code)
        times.sort()
        every += times
        out[name] = {"median_ms": round(statistics.median(times), 1),
                     "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1)}
    every.sort()
    out["all"] = {"median_ms": round(statistics.median(every), 1), "p95_ms": round(every[int(0.95 * (len(every) - 1))], 1)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--database-url")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    with tempfile.TemporaryDirectory() as tmp:
        admin_engine = None
        if args.database_url:
            name = f"mw_bench_{uuid.uuid4().hex[:8]}"
            admin_engine = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
            with admin_engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(args.database_url).set(database=name).render_as_string(hide_password=False)
        else:
            url = f"sqlite:///{tmp}/bench.db"
        try:
            t0 = time.perf_counter()
            seed(url, args.n)
            seeded = time.perf_counter() - t0
            result = measure(url, args.requests)
        finally:
            if admin_engine is not None:
                with admin_engine.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin_engine.dispose()
    db = "postgresql" if args.database_url else "sqlite"
    print(f"{args.n} documents on {db} (seeded in {seeded:.0f} s), {args.requests} requests per case:")  # noqa: T201
    for name, r in result.items():
        print(f"  {name:22s} median {r['median_ms']:7.1f} ms   p95 {r['p95_ms']:7.1f} ms")  # noqa: T201
    if args.json:
        print(json.dumps({"n": args.n, "database": db, **result}, ensure_ascii=False))  # noqa: T201


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
