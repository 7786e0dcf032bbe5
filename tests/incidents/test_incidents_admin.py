"""The incident admin: smoke tests per page, role permissions, buttons calling the services."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import ActionItem, Incident, Postmortem

pytestmark = pytest.mark.django_db


@pytest.fixture
def ic_client(client, incident_commander):
    client.force_login(incident_commander)
    return client


@pytest.fixture
def incident(incident_commander):
    return services.incident_open(title="Trades failing", severity="sev2",
                                  at=timezone.now() - timedelta(minutes=30))


@pytest.fixture
def postmortem(incident, incident_commander):
    services.incident_transition(incident=incident, to_status="resolved",
                                 actor=incident_commander)
    pm = services.postmortem_create(incident=incident, actor=incident_commander)
    services.action_item_create(postmortem=pm, title="Late fix", owner=incident_commander,
                                due_date=date(2020, 1, 1))
    return pm


def change_data(incident, **overrides):
    data = {
        "title": incident.title, "severity": incident.severity, "commander": "",
        "summary": incident.summary, "affected_components": "",
        "started_at_0": incident.started_at.strftime("%Y-%m-%d"),
        "started_at_1": incident.started_at.strftime("%H:%M:%S"),
        "detected_at_0": incident.detected_at.strftime("%Y-%m-%d"),
        "detected_at_1": incident.detected_at.strftime("%H:%M:%S"),
        "timeline-TOTAL_FORMS": "1", "timeline-INITIAL_FORMS": "0",
        "timeline-MIN_NUM_FORMS": "0", "timeline-MAX_NUM_FORMS": "1000",
        "timeline-0-text": "",
    }
    for name in ("acknowledged_at", "mitigated_at", "resolved_at"):
        value = getattr(incident, name)
        data[f"{name}_0"] = value.strftime("%Y-%m-%d") if value else ""
        data[f"{name}_1"] = value.strftime("%H:%M:%S") if value else ""
    data.update(overrides)
    return data


@pytest.mark.parametrize("url", [
    "admin:incidents_incident_changelist", "admin:incidents_incident_add",
    "admin:incidents_incident_dashboard", "admin:incidents_postmortem_changelist",
    "admin:incidents_actionitem_changelist",
])
def test_every_incident_admin_page_renders(client, portal_admin, postmortem, url):
    client.force_login(portal_admin)
    response = client.get(reverse(url), {"q": "fix"} if "changelist" in url else {})
    assert response.status_code == 200


def test_the_change_pages_render_with_status_buttons(ic_client, incident, postmortem):
    page = ic_client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert page.status_code == 200
    assert b'id="transition-investigating"' in page.content  # resolved: only reopen
    assert b"Open the postmortem" in page.content
    page = ic_client.get(reverse("admin:incidents_postmortem_change", args=[postmortem.pk]))
    assert b'id="publish-postmortem"' in page.content
    item = ActionItem.objects.get()
    assert ic_client.get(reverse("admin:incidents_actionitem_change", args=[item.pk])
                         ).status_code == 200


def test_the_changelist_header_and_dashboard_show_mtta_mttr_and_overdue_items(
    ic_client, postmortem,
):
    page = ic_client.get(reverse("admin:incidents_incident_changelist")).content.decode()
    assert "MTTA <strong>30m" in page and "MTTR <strong>30m" in page
    assert "overdue action items: <strong>1</strong>" in page
    page = ic_client.get(reverse("admin:incidents_incident_dashboard")).content.decode()
    assert "Late fix" in page
    assert 'id="mttr"' in page


def test_a_commander_opens_an_incident_from_the_admin(ic_client, incident_commander):
    now = timezone.now()
    response = ic_client.post(reverse("admin:incidents_incident_add"), {
        "title": "Bags API errors", "severity": "sev3", "commander": incident_commander.pk,
        "summary": "", "affected_components": "bags, trading",
        "started_at_0": now.strftime("%Y-%m-%d"), "started_at_1": now.strftime("%H:%M:%S"),
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    incident = Incident.objects.get()
    assert incident.affected_components == ["bags", "trading"]
    assert incident.commander == incident_commander
    assert incident.acknowledged_at is not None
    assert incident.timeline.count() == 2  # opened, commander assigned


def test_a_milestone_edit_and_a_note_in_the_admin_become_timeline_entries(ic_client, incident):
    new_start = incident.started_at - timedelta(minutes=10)
    response = ic_client.post(
        reverse("admin:incidents_incident_change", args=[incident.pk]),
        change_data(incident, started_at_0=new_start.strftime("%Y-%m-%d"),
                    started_at_1=new_start.strftime("%H:%M:%S"),
                    **{"timeline-0-text": "Looking at RPC latency"}),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    entries = list(incident.timeline.values_list("kind", "text", "author__username"))
    assert entries[0][0] == "status_change"
    assert sorted(entries[1:]) == [
        ("milestone_changed", f"Milestone started changed from {incident.started_at.isoformat()}"
         f" to {new_start.replace(microsecond=0).isoformat()}", "commander"),
        ("note", "Looking at RPC latency", "commander"),
    ]


def test_an_out_of_order_milestone_is_a_form_error(ic_client, incident):
    early = incident.detected_at - timedelta(hours=2)
    response = ic_client.post(
        reverse("admin:incidents_incident_change", args=[incident.pk]),
        change_data(incident, acknowledged_at_0=early.strftime("%Y-%m-%d"),
                    acknowledged_at_1=early.strftime("%H:%M:%S")),
    )
    assert response.status_code == 200
    assert "acknowledged_at" in response.context["adminform"].form.errors


def test_the_status_buttons_call_the_transition_service(ic_client, incident):
    url = reverse("admin:incidents_incident_transition", args=[incident.pk])
    ic_client.post(url, {"to_status": "monitoring", "note": "Fix deployed"})
    incident.refresh_from_db()
    assert incident.status == "monitoring" and incident.mitigated_at is not None
    response = ic_client.post(url, {"to_status": "identified"}, follow=True)
    assert "Cannot move an incident from monitoring to identified" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == "monitoring"


def test_a_viewer_can_look_but_not_change(client, viewer, incident):
    client.force_login(viewer)
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert page.status_code == 200
    assert b"transition-resolved" not in page.content
    url = reverse("admin:incidents_incident_transition", args=[incident.pk])
    assert client.post(url, {"to_status": "resolved"}).status_code == 403
    incident.refresh_from_db()
    assert incident.status == "investigating"


def test_publishing_with_an_unowned_action_item_shows_an_error(ic_client, postmortem):
    ActionItem.objects.create(postmortem=postmortem, title="Nobody's")
    url = reverse("admin:incidents_postmortem_status", args=[postmortem.pk])
    response = ic_client.post(url, {"to_status": "published"}, follow=True)
    assert "every action item needs an owner" in response.content.decode()
    assert Postmortem.objects.get().status == "draft"


def test_the_markdown_downloads_from_the_postmortem_and_the_incident_action(
    ic_client, incident, postmortem,
):
    response = ic_client.get(reverse("admin:incidents_postmortem_markdown",
                                     args=[postmortem.pk]))
    assert response["Content-Type"].startswith("text/markdown")
    assert response.content.decode().startswith("# Postmortem: Trades failing")
    response = ic_client.post(reverse("admin:incidents_incident_changelist"), {
        "action": "download_postmortems", "_selected_action": [incident.pk],
    })
    assert 'filename="postmortem-incident-' in response["Content-Disposition"]
    assert "| Late fix | commander | 2020-01-01 | open |" in response.content.decode()
