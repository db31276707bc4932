"""Two `rasa run` replicas sharing PostgreSQL (trackers) and Redis (locks): no lost events.

Both replicas use the `endpoints.yml` documented in docs/production.md, filled by environment
variables, with the tiny test bot. For every sender, one message goes to each replica at the
same moment; afterwards every conversation must hold both messages, each followed by its
answer (no interleaving), in PostgreSQL and in both replicas' view of the tracker.

`SCALE_OUT_ROUNDS` (default 3) rounds of `SCALE_OUT_PAIRS` (default 200) pairs.
`SCALE_OUT_LOCK_STORE=redis` runs the same test with Rasa's stock RedisLockStore, which is
expected to fail (RasaHQ/rasa#9213): that is the comparison in docs/production.md, not a test.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter

import aiohttp

from tests.support.servers import (
    STORE_ENDPOINTS,
    TRACKER_STORE_ENDPOINT,
    RasaServer,
    rasa_env,
)

ROUNDS = int(os.environ.get("SCALE_OUT_ROUNDS", "3"))
PAIRS = int(os.environ.get("SCALE_OUT_PAIRS", "200"))
LOCK_STORE = os.environ.get("SCALE_OUT_LOCK_STORE", "addons.lock_store.AtomicRedisLockStore")
IN_FLIGHT = 25  # pairs sent at once
TOKEN = "scale-out-test-token"

MESSAGES = {"A": ("hello", "utter_greet"), "B": ("I live in Springfield", "utter_place")}

ENDPOINTS = STORE_ENDPOINTS + "  key_prefix: metastasis\n"
# Rasa's stock RedisLockStore takes a host name and a port, not a URL.
STOCK_ENDPOINTS = TRACKER_STORE_ENDPOINT + """\
lock_store:
  type: redis
  url: 127.0.0.1
  port: ${LOCK_STORE_PORT}
  db: 1
  key_prefix: metastasis
"""


async def _send_pairs(urls, senders):
    gate = asyncio.Semaphore(IN_FLIGHT)
    results = {}
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def post(url, sender, text):
            try:
                async with session.post(
                    url + "/webhooks/rest/webhook", json={"sender": sender, "message": text}
                ) as resp:
                    return resp.status, await resp.json(content_type=None)
            except asyncio.TimeoutError:
                return 0, None  # no answer within a minute: counted as a bad answer

        async def pair(sender):
            async with gate:
                results[sender] = await asyncio.gather(
                    post(urls[0], sender, MESSAGES["A"][0]),
                    post(urls[1], sender, MESSAGES["B"][0]),
                )

        await asyncio.gather(*(pair(s) for s in senders))
    return results


async def _trackers(url, senders):
    out = {}
    async with aiohttp.ClientSession() as session:
        gate = asyncio.Semaphore(20)

        async def get(sender):
            async with gate:
                async with session.get(
                    f"{url}/conversations/{sender}/tracker", params={"token": TOKEN}
                ) as resp:
                    assert resp.status == 200
                    out[sender] = (await resp.json())["events"]

        await asyncio.gather(*(get(s) for s in senders))
    return out


def _turns(events):
    """The conversation after session start as (user text, action that answered it) pairs,
    checking the order user → utter_* → bot → action_listen for each turn."""
    body = [e for e in events if e["event"] in ("user", "action", "bot")]
    body = [e for e in body if e.get("name") not in ("action_session_start",)]
    if body and body[0].get("name") == "action_listen":
        body = body[1:]
    turns = []
    while body:
        chunk, body = body[:4], body[4:]
        kinds = [(e["event"], e.get("name")) for e in chunk]
        assert len(chunk) == 4 and kinds[0][0] == "user" and kinds[1][0] == "action" \
            and kinds[2][0] == "bot" and kinds[3] == ("action", "action_listen"), kinds
        turns.append((chunk[0]["text"], chunk[1]["name"]))
    return turns


def test_two_replicas_lose_no_events(tiny_model, tmp_path, postgres_server, redis_db):
    stock = LOCK_STORE == "redis"
    (tmp_path / "endpoints.yml").write_text(STOCK_ENDPOINTS if stock else ENDPOINTS)
    (tmp_path / "credentials.yml").write_text("addons.rest_channel.HardenedRestInput:\n")
    postgres_server.execute("DROP TABLE IF EXISTS events")
    env = rasa_env(
        TRACKER_DB_URL=postgres_server.url,
        LOCK_STORE=LOCK_STORE,
        LOCK_STORE_URL=f"redis://127.0.0.1:{redis_db.port}/1",
        LOCK_STORE_PORT=str(redis_db.port),
        SQL_POOL_SIZE="10",
        SQL_MAX_OVERFLOW="10",
    )
    args = ["--credentials", "credentials.yml", "--endpoints", "endpoints.yml",
            "--enable-api", "--auth-token", TOKEN]
    replicas = []
    try:
        for name in ("replica-a", "replica-b"):  # one after the other: both create tables
            replicas.append(
                RasaServer(tiny_model, tmp_path, args=args, env=env, log_name=f"{name}.log")
            )
        urls = [r.url for r in replicas]

        problems = Counter()
        for round_ in range(ROUNDS):
            senders = [f"round{round_}-sender{i}" for i in range(PAIRS)]
            results = asyncio.run(_send_pairs(urls, senders))
            for sender, answers in results.items():
                for (status, body), key in zip(answers, "AB"):
                    if status == 0:
                        problems["no answer within 60 s"] += 1
                    elif status != 200 or not body or "text" not in body[-1]:
                        problems["bad answer"] += 1
                    elif body[-1]["text"] not in ("Hello!", "Noted."):
                        problems[f"unexpected answer {body[-1]['text']!r}"] += 1

            # what is stored, and what each replica sees
            stored = _stored_trackers(postgres_server, senders)
            views = [asyncio.run(_trackers(url, senders)) for url in urls]
            for sender in senders:
                try:
                    turns = sorted(_turns(stored[sender]))
                except AssertionError as e:
                    problems["interleaved or incomplete turn"] += 1
                    print(sender, e)
                    continue
                expected = sorted(MESSAGES.values())
                if turns != expected:
                    problems["lost or duplicated turn"] += 1
                    print(sender, turns)
                for view in views:
                    if _signature(view[sender]) != _signature(stored[sender]):
                        problems["replica sees another tracker"] += 1
            print(f"round {round_}: {PAIRS} pairs, problems so far: {dict(problems)}")
        assert not problems, dict(problems)
    finally:
        for replica in replicas:
            replica.stop()
    for replica in replicas:
        log = replica.output()
        assert "Traceback" not in log, log[-3000:]


def _stored_trackers(postgres_server, senders):
    import json

    rows = postgres_server.execute(
        "SELECT sender_id, data FROM events WHERE sender_id LIKE '{}%' ORDER BY id".format(
            senders[0].split("-")[0]
        )
    )
    out = {s: [] for s in senders}
    for sender, data in rows:
        out.setdefault(sender, []).append(json.loads(data))
    return out


def _signature(events):
    return [(e["event"], e.get("name"), e.get("text"), round(e["timestamp"], 3)) for e in events]
