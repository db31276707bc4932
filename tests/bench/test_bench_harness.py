"""The benchmark harness's own logic (no Rasa; at most a stub webhook on 127.0.0.1; no timing:
`make bench` is not a test)."""

from __future__ import annotations

import asyncio
import math

import pytest

from bench import load, messages, profile, report


@pytest.mark.parametrize("values, q, expected", [
    ([1, 2, 3, 4], 50, 2.5),
    ([1, 2, 3, 4], 0, 1),
    ([1, 2, 3, 4], 100, 4),
    (list(range(1, 101)), 95, 95.05),
    (list(range(1, 101)), 99, 99.01),
    ([7], 99, 7),
    ([3, 1, 2], 50, 2),  # unsorted input
])
def test_percentile_interpolates_like_numpy(values, q, expected):
    assert load.percentile(values, q) == pytest.approx(expected)


def test_percentile_of_nothing_is_nan_and_q_is_checked():
    assert math.isnan(load.percentile([], 50))
    with pytest.raises(ValueError):
        load.percentile([1], 101)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:5005/webhooks/rest/webhook",
    "http://localhost:1/",
    "http://127.0.0.1",
])
def test_local_urls_are_accepted(url):
    assert load.check_local(url) == url


@pytest.mark.parametrize("url", [
    "http://example.com/webhooks/rest/webhook",
    "https://127.0.0.1:5005/",            # only plain http on this machine
    "http://127.0.0.2:5005/",
    "http://10.0.0.1:5005/",
    "http://[::1]:5005/",
    "http://127.0.0.1.example.com/",
    "http://localhost.example.com/",
    "http://127.0.0.1@example.com/",      # user info, real host example.com
    "http://user:pw@127.0.0.1:5005/",
    "http://127.0.0.1:99999/",            # malformed port
    "ftp://127.0.0.1/",
    "127.0.0.1:5005",
])
def test_other_urls_are_refused(url):
    with pytest.raises(load.NotLocalError):
        load.check_local(url)


def test_the_load_generator_refuses_a_remote_url_before_sending():
    with pytest.raises(load.NotLocalError):
        asyncio.run(load.run_load("http://example.com", [["hello"]], time_cap=1))
    with pytest.raises(load.NotLocalError):
        asyncio.run(load.long_conversations("http://example.com", [["hello"]], time_cap=1))


def test_summary_counts_and_rates():
    s = load.summarize([0.1, 0.2, 0.3, 0.4], wall=2.0, errors=1, senders=2, planned=6, capped=True)
    assert s["answered"] == 4 and s["errors"] == 1 and s["planned"] == 6 and s["capped"]
    assert s["msg_per_s"] == 2.0
    assert s["p50_ms"] == 250.0 and s["max_ms"] == 400.0


def test_position_medians_skip_failed_messages():
    runs = [[0.1, 0.5, 0.2], [0.3, None, 0.4], [0.2, 0.1, None]]
    assert load.position_medians(runs, [1, 2, 3]) == {1: 200.0, 2: 300.0, 3: 300.0}
    assert load.window_median(runs, 1, 2) == 200.0


def test_scripts_are_fixed_and_long_conversations_start_and_end_alike():
    assert messages.scripts("ours", 20, 15) == messages.scripts("ours", 20, 15)
    assert [len(s) for s in messages.scripts("init", 3, 7)] == [7, 7, 7]
    for bot, anchor in (("ours", messages.OURS_ANCHOR), ("init", messages.INIT_ANCHOR)):
        for script in messages.long_scripts(bot, 3, 150):
            assert len(script) == 150 and script[0] == script[-1] == anchor


def test_profile_summary_counts_self_and_inclusive_time_and_leaves_out_waiting():
    raw = "\n".join([
        "<module> (/x/bin/rasa:8);serve (/v/lib/python3.10/site-packages/sanic/server/runners.py:155) 50",
        "<module> (/x/bin/rasa:8);run (/v/lib/python3.10/site-packages/rasa/core/actions/action.py:790);"
        "validate (/v/lib/python3.10/site-packages/jsonschema/validators.py:1100) 30",
        "<module> (/x/bin/rasa:8);run (/v/lib/python3.10/site-packages/rasa/core/actions/action.py:791) 10",
    ])
    stats = profile.analyse(raw)
    assert stats["samples"] == 40 and stats["waiting_samples"] == 50
    assert dict(stats["self_by_package"]) == {"jsonschema": 75.0, "rasa.core": 25.0}
    inclusive = dict(stats["inclusive_by_function"])
    assert inclusive["run (rasa/core/actions/action.py)"] == 100.0  # once per stack, not per line
    assert inclusive["validate (jsonschema/validators.py)"] == 75.0


def _results(ours_rate, init_rate, ours_p95, init_p95, first, last, startup, rss):
    def target(key, rate, p95):
        return {"key": key, "title": key, "description": key,
                "concurrent": {"msg_per_s": rate, "p95_ms": p95},
                "long": {"first_ms": first, "last_ms": last, "length": 150, "conversations": 3},
                "startup_s": startup, "rss": {"rasa": {"VmHWM": rss}}}
    return {"machine": {"date": "d", "commit": "c", "commit_subject": "s", "cpu": "cpu", "cores": 2,
                        "ram_gb": 1, "os": "os", "python": "3.10", "rasa": "3.6", "rasa_sdk": "3.6",
                        "spacy": "3.4", "tensorflow": "2", "sqlalchemy": "1"},
            "settings": {"single": 1, "senders": 20, "per_sender": 1, "long": 3, "long_length": 150},
            "targets": [target("ours_sql", ours_rate, ours_p95), target("init", init_rate, init_p95)]}


def test_targets_are_judged_against_the_init_bot():
    met = [r["ok"] for r in report.evaluate(_results(40, 20, 50, 100, 100, 120, 10, 1024))]
    assert met == [True, True, True, True, True]
    missed = [r["ok"] for r in report.evaluate(_results(39, 20, 51, 100, 100, 121, 10.5, 1025))]
    assert missed == [False, False, False, False, False]


def test_a_rerun_replaces_only_the_generated_part(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    report.write(path, _results(10, 20, 200, 100, 100, 150, 17, 800))
    text = path.read_text()
    assert report.BEGIN in text and report.END in text and "**missed**" in text
    path.write_text(text + "\nHand-written: what limits it.\n")
    report.write(path, _results(40, 20, 50, 100, 100, 110, 9, 800))
    again = path.read_text()
    assert "Hand-written: what limits it." in again
    assert again.count(report.BEGIN) == 1 and "**missed**" not in again


def test_scripts_split_into_conversations_that_each_open_anew():
    for script in messages.scripts("ours", 4, 15, conversation_length=10):
        assert len(script) == 15
        assert script[0] in messages.OURS_OPENERS and script[10] in messages.OURS_OPENERS


async def test_empty_answers_are_errors_unless_the_bot_may_choose_silence():
    """The init bot may predict listening and return []; for ours that would be a defect."""
    from aiohttp import web

    async def webhook(request):
        body = await request.json()
        return web.json_response([] if body["message"] == "yes" else [{"text": "hello"}])

    app = web.Application()
    app.router.add_post(load.WEBHOOK, webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        scripts = [["hi", "yes", "hi"], ["yes", "hi", "hi"]]
        strict = (await load.run_load(f"http://127.0.0.1:{port}", scripts, 30)).summary()
        assert (strict["answered"], strict["errors"], strict["silent"]) == (4, 2, 0)
        assert strict["error_kinds"] == {"empty answer": 2}
        lenient = (await load.run_load(f"http://127.0.0.1:{port}", scripts, 30,
                                       silent_ok=True)).summary()
        assert (lenient["answered"], lenient["errors"], lenient["silent"]) == (6, 0, 2)
        runs = await load.long_conversations(f"http://127.0.0.1:{port}", [["yes", "hi"]], 30)
        assert runs[0][0] is None and runs[0][1] is not None
        runs = await load.long_conversations(f"http://127.0.0.1:{port}", [["yes", "hi"]], 30,
                                             silent_ok=True)
        assert None not in runs[0]
    finally:
        await runner.cleanup()
