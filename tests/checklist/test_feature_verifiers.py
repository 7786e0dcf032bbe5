"""The Features items and the benchmarks item, judged from events ingested by the real
service: pass, fail with the number, and "no evidence" below the minimum sample."""

from datetime import timedelta

import pytest
from django.utils import timezone

from checklist.models import ChecklistItem, ItemStatus
from checklist.selectors import readiness_compute
from checklist.services.items import checklist_item_set_status
from checklist.services.verification import checklist_verify
from checklist.verifiers import REGISTRY
from tests.monitoring.events import ev, ingest, trade

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


def ago(now, **delta):
    return now - timedelta(**delta)


def spread(now, n, **fields):
    """n events built by `fields["make"]`, spread over the last 23 h (rollups and edges)."""
    make = fields.pop("make")
    return [make(ago(now, minutes=1 + i * (23 * 60 // max(n, 1))), **fields) for i in range(n)]


def command(ts, name, ok=True, duration_ms=300):
    return ev("command", ts, name=name, ok=ok, duration_ms=duration_ms)


def run(key, now):
    return REGISTRY[key](now)


# --- /demo -------------------------------------------------------------------------


def test_demo_passes_when_every_demo_trade_and_command_succeeded(now):
    ingest(spread(now, 20, make=trade, demo=True)
           + spread(now, 10, make=lambda ts: command(ts, "/demo")))
    passed, detail, evidence = run("feature_demo", timezone.now())
    assert passed, detail
    assert detail == "all 20 demo trades and 10 /demo commands succeeded in the last 24 h"
    assert evidence is None


def test_demo_fails_naming_the_failed_counts(now):
    ingest(spread(now, 22, make=trade, demo=True)
           + [trade(ago(now, hours=3), demo=True, success=False, error="slippage"),
              trade(ago(now, hours=4), demo=True, success=False, error="slippage")]
           + spread(now, 11, make=lambda ts: command(ts, "/demo"))
           + [command(ago(now, minutes=30), "/demo", ok=False)])
    passed, detail, _ = run("feature_demo", timezone.now())
    assert not passed
    assert detail == ("2 of 24 demo trades and 1 of 12 /demo commands failed in the last "
                      "24 h; needs every one to succeed")


def test_demo_below_the_minimum_is_no_evidence(now):
    ingest([trade(ago(now, hours=h), demo=True) for h in (1, 2, 3)]
           + spread(now, 10, make=lambda ts: command(ts, "/demo")))
    passed, detail, _ = run("feature_demo", timezone.now())
    assert not passed
    assert detail == ("no evidence: 3 demo trades and 10 /demo commands in the last 24 h, "
                      "need ≥ 20 trades and ≥ 10 commands")


def test_demo_minimums_come_from_settings(now, settings):
    settings.FEATURE_MIN_TRADES, settings.FEATURE_MIN_COMMANDS = 2, 1
    ingest([trade(ago(now, hours=1), demo=True), trade(ago(now, hours=2), demo=True),
            command(ago(now, hours=1), "/demo")])
    assert run("feature_demo", timezone.now())[0]


def test_non_demo_trades_and_other_commands_are_not_demo_evidence(now):
    ingest(spread(now, 20, make=trade) + spread(now, 10, make=lambda ts: command(ts, "/vibe")))
    passed, detail, _ = run("feature_demo", timezone.now())
    assert not passed and detail.startswith("no evidence: 0 demo trades and 0 /demo commands")


# --- /vibe -------------------------------------------------------------------------


def test_vibe_passes_under_two_seconds_and_all_ok(now):
    ingest(spread(now, 12, make=lambda ts: command(ts, "/vibe", duration_ms=800)))
    passed, detail, _ = run("feature_vibe", timezone.now())
    assert passed, detail
    assert detail.startswith("/vibe p95 ") and detail.endswith(
        " ms and 100.0 % ok over the last 24 h (12 commands)")


def test_vibe_fails_on_latency_with_the_p95_shown(now):
    ingest(spread(now, 10, make=lambda ts: command(ts, "/vibe", duration_ms=2400)))
    passed, detail, _ = run("feature_vibe", timezone.now())
    assert not passed
    p95 = int(detail.split("p95 ")[1].split(" ms")[0].replace(",", ""))
    assert 2376 <= p95 <= 2424  # the histogram's ±1 %
    assert detail.endswith("100.0 % ok over the last 24 h (10 commands); needs p95 < 2,000 ms "
                           "and ≥ 99 % ok")


def test_vibe_fails_on_its_ok_rate(now):
    ingest(spread(now, 9, make=lambda ts: command(ts, "/vibe"))
           + [command(ago(now, hours=5), "/vibe", ok=False)])
    passed, detail, _ = run("feature_vibe", timezone.now())
    assert not passed
    assert " ms and 90.0 % ok over the last 24 h (10 commands); needs " in detail


def test_vibe_below_the_minimum_is_no_evidence(now):
    ingest([command(ago(now, hours=1), "/vibe"), command(ago(now, hours=2), "/demo")])
    passed, detail, _ = run("feature_vibe", timezone.now())
    assert not passed
    assert detail == "no evidence: 1 /vibe command in the last 24 h, need ≥ 10"


# --- bags.fm -----------------------------------------------------------------------


def test_bags_passes_with_enough_successful_bags_trades(now):
    ingest(spread(now, 20, make=trade, via="bags")
           + [trade(ago(now, hours=2), via="bags", success=False, error="route")]
           + spread(now, 5, make=trade, via="jupiter"))
    passed, detail, _ = run("feature_bags", timezone.now())
    assert passed, detail
    assert detail == "20 of 21 bags.fm trades succeeded in the last 24 h"


def test_bags_fails_when_too_few_succeeded(now):
    ingest(spread(now, 5, make=trade, via="bags")
           + [trade(ago(now, minutes=10 + i), via="bags", success=False, error="route")
              for i in range(20)])
    passed, detail, _ = run("feature_bags", timezone.now())
    assert not passed
    assert detail == "5 of 25 bags.fm trades succeeded in the last 24 h; needs ≥ 20 successful"


def test_bags_below_the_minimum_is_no_evidence(now):
    ingest(spread(now, 3, make=trade, via="bags") + spread(now, 30, make=trade, via="jupiter"))
    passed, detail, _ = run("feature_bags", timezone.now())
    assert not passed
    assert detail == "no evidence: 3 bags.fm trades in the last 24 h, need ≥ 20 successful"


# --- TP/SL -------------------------------------------------------------------------


def test_tpsl_passes_when_every_trade_has_both(now):
    ingest(spread(now, 20, make=trade) + [trade(ago(now, hours=1), success=False, error="x")])
    passed, detail, _ = run("feature_tpsl", timezone.now())
    assert passed, detail
    assert detail == "all 21 trades in the last 24 h had a take-profit and a stop-loss"


def test_tpsl_fails_naming_the_trades_without(now):
    ingest(spread(now, 20, make=trade)
           + [trade(ago(now, hours=1), stop_loss_pct=None),
              trade(ago(now, hours=2), take_profit_pct=None)])
    passed, detail, _ = run("feature_tpsl", timezone.now())
    assert not passed
    assert detail == ("2 of 22 trades in the last 24 h had no take-profit or no stop-loss; "
                      "needs 0")


def test_tpsl_below_the_minimum_is_no_evidence(now):
    ingest(spread(now, 19, make=trade))
    passed, detail, _ = run("feature_tpsl", timezone.now())
    assert not passed
    assert detail == "no evidence: 19 trades in the last 24 h, need ≥ 20"


# --- benchmarks --------------------------------------------------------------------


def test_benchmarks_pass_under_500_ms(now):
    ingest(spread(now, 20, make=trade, confirmation_ms=300)
           + [trade(ago(now, hours=1), success=False, error="x")])
    passed, detail, _ = run("performance_benchmarks", timezone.now())
    assert passed, detail
    p95 = int(detail.split("p95 ")[1].split(" ms")[0])
    assert 297 <= p95 <= 303
    assert detail.endswith(" ms over the last 24 h (20 successful trades)")


def test_benchmarks_fail_with_the_p95_shown(now):
    ingest(spread(now, 18, make=trade, confirmation_ms=300)
           + spread(now, 2, make=trade, confirmation_ms=900))
    passed, detail, _ = run("performance_benchmarks", timezone.now())
    assert not passed
    p95 = int(detail.split("p95 ")[1].split(" ms")[0])
    assert 891 <= p95 <= 909
    assert detail.endswith(" ms over the last 24 h (20 successful trades); needs < 500 ms")


def test_benchmarks_below_the_minimum_is_no_evidence(now):
    ingest(spread(now, 5, make=trade) + spread(now, 20, make=trade, success=False, error="x"))
    passed, detail, _ = run("performance_benchmarks", timezone.now())
    assert not passed
    assert detail == "no evidence: 5 successful trades in the last 24 h, need ≥ 20"


# --- what is not evidence ----------------------------------------------------------


def test_synthetic_events_are_never_evidence(now):
    ingest(spread(now, 25, make=trade, demo=True, via="bags", synthetic=True)
           + spread(now, 12, make=lambda ts: ev("command", ts, name="/vibe", ok=True,
                                                duration_ms=100, synthetic=True))
           + [ev("ws_status", ago(now, minutes=30), connected=True, synthetic=True)])
    later = timezone.now()
    for key in ["feature_demo", "feature_vibe", "feature_bags", "feature_tpsl",
                "feature_websocket", "performance_benchmarks"]:
        passed, detail, _ = run(key, later)
        assert not passed and detail.startswith("no evidence: "), (key, detail)


def test_events_outside_the_window_are_ignored(now):
    old = [ago(now, hours=25), ago(now, days=3)]
    ingest([trade(ts, stop_loss_pct=None, success=False, error="x", demo=True)
            for ts in old for _ in range(15)]
           + [command(ts, "/vibe", ok=False, duration_ms=9000) for ts in old for _ in range(6)]
           + spread(now, 20, make=trade, demo=True, via="bags", confirmation_ms=200)
           + spread(now, 10, make=lambda ts: command(ts, "/demo"))
           + spread(now, 10, make=lambda ts: command(ts, "/vibe")))
    later = timezone.now()
    for key in ["feature_demo", "feature_vibe", "feature_bags", "feature_tpsl",
                "performance_benchmarks"]:
        passed, detail, _ = run(key, later)
        assert passed, (key, detail)
    assert "(20 successful trades)" in run("performance_benchmarks", later)[1]


def test_the_window_edge_is_exact_to_the_second(now):
    """Events just inside (now - 24 h, now] count; just outside do not."""
    ingest([trade(ago(now, hours=24) + timedelta(seconds=3)) for _ in range(20)]
           + [trade(ago(now, hours=24) - timedelta(seconds=3), stop_loss_pct=None)
              for _ in range(5)])
    passed, detail, _ = run("feature_tpsl", now)
    assert passed and detail.startswith("all 20 trades"), detail


# --- websocket ---------------------------------------------------------------------


def ws(now, connected, **delta):
    return ev("ws_status", ago(now, **delta), connected=connected)


def test_websocket_without_any_report_is_no_evidence(now):
    passed, detail, _ = run("feature_websocket", now)
    assert not passed
    assert detail == "no evidence: no ws_status event from the bot in or before the last hour"


def test_websocket_state_carried_in_from_before_the_hour_counts(now):
    ingest([ws(now, False, hours=3), ws(now, True, hours=2)])
    passed, detail, _ = run("feature_websocket", now)
    assert passed, detail
    carried = ago(now, hours=2)
    assert detail == (f"websocket connected 100.0 % of the last hour (0 ws_status events, "
                      f"state carried in from {carried:%Y-%m-%d %H:%M:%S} UTC)")


def test_websocket_carried_in_disconnection_counts_against_it(now):
    ingest([ws(now, False, hours=2), ws(now, True, minutes=30)])
    passed, detail, _ = run("feature_websocket", now)
    assert not passed
    assert detail.startswith("websocket connected 50.0 % of the last hour (1 ws_status event, "
                             "state carried in from ")
    assert detail.endswith("; needs ≥ 99 %")


def test_websocket_is_time_weighted(now):
    # One minute down of sixty is 98.3 %, however many "connected" reports surround it.
    ingest([ws(now, True, hours=5), ws(now, False, minutes=10), ws(now, True, minutes=9)]
           + [ws(now, True, minutes=m) for m in (50, 40, 20)])
    passed, detail, _ = run("feature_websocket", now)
    assert not passed
    assert detail.startswith("websocket connected 98.3 % of the last hour (5 ws_status events, "
                             "state carried in from "), detail


def test_websocket_short_drop_passes(now):
    ingest([ws(now, True, hours=5),
            ev("ws_status", now - timedelta(minutes=10), connected=False),
            ev("ws_status", now - timedelta(minutes=9, seconds=30), connected=True)])
    passed, detail, _ = run("feature_websocket", now)
    assert passed, detail
    assert detail.startswith("websocket connected 99.1 % of the last hour")


def test_websocket_time_before_the_first_report_is_not_connected(now):
    ingest([ws(now, True, minutes=30)])
    passed, detail, _ = run("feature_websocket", now)
    assert not passed
    assert detail == ("websocket connected 50.0 % of the last hour (1 ws_status event, state "
                      "known for 30 of 60 min); needs ≥ 99 %")


def test_websocket_ignores_synthetic_reports(now):
    ingest([ws(now, True, hours=2),
            ev("ws_status", ago(now, minutes=40), connected=False, synthetic=True)])
    passed, detail, _ = run("feature_websocket", now)
    assert passed, detail


# --- through checklist_verify: ticks, blockers, stale ------------------------------


def item(key):
    return ChecklistItem.objects.get(key=key)


def test_bootstrap_wires_the_feature_items(plan):
    wired = dict(ChecklistItem.objects.filter(key__startswith="feat-")
                 .values_list("key", "verifier_key"))
    assert wired == {"feat-demo": "feature_demo", "feat-vibe": "feature_vibe",
                     "feat-bags": "feature_bags", "feat-tpsl": "feature_tpsl",
                     "feat-websocket": "feature_websocket"}
    assert item("final-benchmarks").verifier_key == "performance_benchmarks"


def test_verification_ticks_passing_items_and_shows_no_evidence_as_a_blocker(plan, now):
    ingest(spread(now, 20, make=trade, via="bags", confirmation_ms=250)
           + [ws(now, True, hours=2)])
    result = checklist_verify()
    for key in ["feat-bags", "feat-tpsl", "feat-websocket", "final-benchmarks"]:
        assert item(key).status == ItemStatus.DONE, (key, item(key).verifications.first().detail)
    assert item("feat-bags").evidence_note.endswith(
        "20 of 20 bags.fm trades succeeded in the last 24 h")
    blockers = {b["item"]: b["reason"] for b in readiness_compute()["blockers"]}
    assert "no evidence: 0 demo trades and 0 /demo commands in the last 24 h" in \
        blockers[item("feat-demo").text]
    assert "no evidence: 0 /vibe commands in the last 24 h, need ≥ 10" in \
        blockers[item("feat-vibe").text]
    assert "not wired" not in " ".join(o.detail for o in result["outcomes"]
                                       if o.item.key.startswith("feat-"))


def test_a_hand_ticked_feature_item_goes_stale_when_its_evidence_fails(plan, now, approver):
    checklist_item_set_status(item=item("feat-tpsl"), status=ItemStatus.DONE, actor=approver,
                              evidence_url="https://example.com/tpsl-review")
    ingest(spread(now, 20, make=trade, take_profit_pct=None))
    checklist_verify()
    tpsl = item("feat-tpsl")
    assert tpsl.status == ItemStatus.TODO
    assert "20 of 20 trades in the last 24 h had no take-profit" in tpsl.events.first().note
