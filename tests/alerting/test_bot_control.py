"""The kill switch: API and admin, two-person exit_all with its lapse, and a bot that
hangs or fails recorded as failed and alerted on."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from alerting.models import BotControlRequest, ControlState
from alerting.selectors import bot_control_alert_values
from alerting.services import alerts, bot_control
from opsportal.minute import monitor_pass
from tests.servers import RecordingServer, hanging_tcp_server

pytestmark = pytest.mark.django_db
REASON = "a position has no stop-loss and the bot keeps buying"


@pytest.fixture
def bot(settings):
    with RecordingServer(respond=lambda m, p, b: (200, {"paused": True})) as server:
        settings.BOT_CONTROL_URL = server.url + "/control"
        yield server


def _session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def second_operator(roles):
    user = User.objects.create_user("operator2", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Operator"))
    return user


def test_an_operator_pauses_entries_and_the_bots_answer_is_recorded(operator, bot):
    r = _session(operator).post("/api/v1/bot/control",
                                {"action": "pause_entries", "reason": REASON}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["state"], body["requested_by"], body["response_status"]) == (
        "sent", "operator", 200)
    assert body["response_body"] == '{"paused": true}'
    assert body["response_ms"] >= 0
    assert bot.requests[0]["body"] == {"action": "pause_entries", "reason": REASON}


@pytest.mark.parametrize(("payload", "field"), [
    ({"action": "pause_entries"}, "reason"),
    ({"action": "pause_entries", "reason": "   because  "}, "reason"),
    ({"action": "sell_everything", "reason": REASON}, "action"),
])
def test_bad_requests_are_refused_and_nothing_is_sent(operator, bot, payload, field):
    r = _session(operator).post("/api/v1/bot/control", payload, format="json")
    assert r.status_code == 400 and field in r.json(), r.content
    assert bot.requests == [] and not BotControlRequest.objects.exists()


def test_a_control_token_may_ask_a_read_token_and_a_commander_may_not(
        make_token, incident_commander, bot):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('control', name='ops')}")
    r = client.post("/api/v1/bot/control", {"action": "resume_entries", "reason": REASON},
                    format="json")
    assert r.status_code == 201 and r.json()["requested_by"] == "token:ops"
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('read,write')}")
    assert client.post("/api/v1/bot/control", {"action": "pause_entries", "reason": REASON},
                       format="json").status_code == 403
    assert _session(incident_commander).post(
        "/api/v1/bot/control", {"action": "pause_entries", "reason": REASON},
        format="json").status_code == 403
    assert len(bot.requests) == 1


def test_exit_all_needs_a_second_person(operator, second_operator, make_token, bot):
    from incidents.services import incident_open

    incident = incident_open(title="Bot buying without stop-loss", severity="sev1")
    first = _session(operator)
    r = first.post("/api/v1/bot/control", {"action": "exit_all", "reason": REASON},
                   format="json")
    assert r.status_code == 201 and r.json()["state"] == "pending_confirmation"
    pk = r.json()["id"]
    assert bot.requests == []
    # Not the asker, not a token.
    r = first.post(f"/api/v1/bot/control/{pk}/confirm")
    assert r.status_code == 400 and "second person" in r.json()["detail"]
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('control')}")
    assert token.post(f"/api/v1/bot/control/{pk}/confirm").status_code == 403
    r = _session(second_operator).post(f"/api/v1/bot/control/{pk}/confirm")
    assert r.status_code == 200, r.content
    assert (r.json()["state"], r.json()["confirmed_by"]) == ("confirmed", "operator2")
    assert [q["body"]["action"] for q in bot.requests] == ["exit_all"]
    # Both steps are on the open incident's timeline, with who and the bot's answer.
    texts = list(incident.timeline.filter(kind="action").values_list("text", flat=True))
    assert texts[0].startswith(f"Bot control #{pk} exit_all asked by operator, waiting")
    assert texts[1].startswith(f"Bot control #{pk} exit_all (operator, confirmed by "
                               "operator2): bot control answered HTTP 200")
    # Once sent, it cannot be sent again.
    assert _session(second_operator).post(
        f"/api/v1/bot/control/{pk}/confirm").status_code == 400
    assert len(bot.requests) == 1


def test_an_unconfirmed_exit_all_lapses_after_ten_minutes(operator, second_operator, bot):
    now = timezone.now()
    old = bot_control.bot_control_request(action="exit_all", reason=REASON, user=operator,
                                          now=now - timedelta(minutes=11))
    fresh = bot_control.bot_control_request(action="exit_all", reason=REASON, user=operator,
                                            now=now - timedelta(minutes=9))
    # Confirmed too late through the API: refused and lapsed, never sent.
    r = _session(second_operator).post(f"/api/v1/bot/control/{old.pk}/confirm")
    assert r.status_code == 400 and "lapsed" in r.json()["detail"]
    old.refresh_from_db()
    assert old.state == ControlState.LAPSED
    # The minute loop lapses the other once its ten minutes are up.
    line = f"bot control: request #{fresh.pk} lapsed unconfirmed"
    assert line not in monitor_pass(now=now)
    assert line in monitor_pass(now=now + timedelta(minutes=1))
    assert bot.requests == []


@pytest.mark.parametrize("kind", ["hangs", "500"])
def test_a_bot_that_hangs_or_fails_is_a_failed_request_and_a_page(
        operator, settings, plan_rules, page_channel, webhook, kind):
    settings.OUTBOUND_TIMEOUT_SECONDS = 0.5
    if kind == "hangs":
        with hanging_tcp_server() as port:
            settings.BOT_CONTROL_URL = f"http://127.0.0.1:{port}/control"
            r = _session(operator).post("/api/v1/bot/control",
                                        {"action": "pause_entries", "reason": REASON},
                                        format="json")
    else:
        with RecordingServer(respond=lambda m, p, b: (500, "boom")) as server:
            settings.BOT_CONTROL_URL = server.url
            r = _session(operator).post("/api/v1/bot/control",
                                        {"action": "pause_entries", "reason": REASON},
                                        format="json")
    assert r.status_code == 201
    body = r.json()
    assert body["state"] == "failed"
    if kind == "hangs":
        assert body["response_status"] is None and "timed out" in body["error"]
        assert body["response_ms"] < 5000
    else:
        assert (body["response_status"], body["response_body"]) == (500, "boom")
    now = timezone.now()
    assert bot_control_alert_values(now=now) == {"bot_control_failures_1h": 1}
    alerts.alerts_tick(now=now, values=bot_control_alert_values(now=now))
    assert "[FIRING:page] Bot control failed" in [m["title"] for m in webhook.messages()]


def test_the_kill_switch_from_the_admin(operator, second_operator, bot):
    client = Client()
    client.force_login(operator)
    # The dashboard's and an incident's buttons fill the form in from the query string.
    form = client.get("/admin/alerting/botcontrolrequest/add/?action=exit_all&reason=Incident")
    assert form.status_code == 200
    assert form.context["adminform"].form.initial == {"action": "exit_all",
                                                      "reason": "Incident"}
    r = client.post("/admin/alerting/botcontrolrequest/add/",
                    {"action": "pause_entries", "reason": "too short"})
    assert r.status_code == 200 and b"at least 10 characters" in r.content
    r = client.post("/admin/alerting/botcontrolrequest/add/",
                    {"action": "pause_entries", "reason": REASON})
    assert r.status_code == 302
    assert BotControlRequest.objects.get().state == ControlState.SENT
    client.post("/admin/alerting/botcontrolrequest/add/",
                {"action": "exit_all", "reason": REASON})
    exit_all = BotControlRequest.objects.get(action="exit_all")
    assert exit_all.state == ControlState.PENDING_CONFIRMATION
    other = Client()
    other.force_login(second_operator)
    r = other.post("/admin/alerting/botcontrolrequest/",
                   {"action": "confirm", "_selected_action": [exit_all.pk]})
    assert r.status_code == 302
    exit_all.refresh_from_db()
    assert (exit_all.state, exit_all.confirmed_by) == (ControlState.CONFIRMED,
                                                       second_operator)
    assert [q["body"]["action"] for q in bot.requests] == ["pause_entries", "exit_all"]
    assert client.get(f"/admin/alerting/botcontrolrequest/{exit_all.pk}/change/"
                      ).status_code == 200
    assert client.get("/admin/alerting/botcontrolrequest/?state=sent").status_code == 200


def test_the_dashboard_and_open_incidents_link_to_the_kill_switch(operator):
    from incidents.services import incident_open

    client = Client()
    client.force_login(operator)
    page = client.get("/dashboard/").content.decode()
    assert 'href="/admin/alerting/botcontrolrequest/add/?action=pause_entries"' in page
    incident = incident_open(title="Funds at risk", severity="sev1")
    page = client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
    assert "/admin/alerting/botcontrolrequest/add/?action=exit_all&reason=Incident%20%23" \
        in page
