"""The incident workflow against known timestamps: status, milestones, timeline, MTTA/MTTR."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from incidents import selectors, services
from incidents.models import ActionItem, Incident

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def minutes(n):
    return T0 + timedelta(minutes=n)


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", is_staff=True)


def open_incident(**kwargs):
    kwargs.setdefault("title", "Trades failing")
    kwargs.setdefault("severity", "sev2")
    kwargs.setdefault("at", T0)
    return services.incident_open(**kwargs)


def test_it_opens_an_incident_as_investigating_with_an_opening_timeline_entry():
    incident = open_incident(source="rule:trade-success", actor="rule:trade-success")
    assert incident.status == "investigating"
    assert incident.started_at == incident.detected_at == T0
    assert incident.acknowledged_at is None
    [entry] = incident.timeline.all()
    assert entry.kind == "status_change"
    assert entry.author_name == "rule:trade-success"
    assert entry.at == T0


def test_it_sets_milestones_as_the_status_moves_forward_and_computes_tta_and_ttr(alice):
    incident = open_incident(started_at=minutes(-10))
    services.incident_transition(incident=incident, to_status="identified", actor=alice,
                                 at=minutes(4), note="RPC provider rate-limits us")
    assert incident.acknowledged_at == minutes(4)
    services.incident_transition(incident=incident, to_status="monitoring", actor=alice,
                                 at=minutes(20))
    assert incident.mitigated_at == minutes(20)
    services.incident_transition(incident=incident, to_status="resolved", actor=alice,
                                 at=minutes(50))
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.resolved_at == minutes(50)
    assert incident.time_to_acknowledge == timedelta(minutes=4)
    assert incident.time_to_resolve == timedelta(minutes=50)
    assert incident.impact_duration == timedelta(minutes=30)  # started -10, mitigated +20
    kinds = list(incident.timeline.values_list("kind", "author__username"))
    assert kinds == [("status_change", None)] + [("status_change", "alice")] * 3
    identified = incident.timeline.get(data__to="identified")
    assert "RPC provider rate-limits us" in identified.text
    assert identified.data["milestones"]["acknowledged_at"]["new"] == minutes(4).isoformat()


def test_it_allows_skipping_straight_to_resolved_and_fills_the_skipped_milestones(alice):
    incident = open_incident()
    services.incident_transition(incident=incident, to_status="resolved", actor=alice,
                                 at=minutes(7))
    assert (incident.acknowledged_at, incident.mitigated_at, incident.resolved_at) == (
        minutes(7), minutes(7), minutes(7))


@pytest.mark.parametrize(("path", "to_status"), [
    (["identified"], "investigating"),
    (["monitoring"], "identified"),
    (["resolved"], "monitoring"),
    ([], "investigating"),
])
def test_it_refuses_backward_and_same_status_moves(alice, path, to_status):
    incident = open_incident()
    for step in path:
        services.incident_transition(incident=incident, to_status=step, actor=alice)
    with pytest.raises(ValidationError) as err:
        services.incident_transition(incident=incident, to_status=to_status, actor=alice)
    assert "status" in err.value.message_dict
    incident.refresh_from_db()
    assert incident.status == (path[-1] if path else "investigating")


def test_it_refuses_an_unknown_status(alice):
    with pytest.raises(ValidationError, match="Unknown status 'fixed'"):
        services.incident_transition(incident=open_incident(), to_status="fixed", actor=alice)


def test_a_reopen_clears_mitigation_and_resolution_and_keeps_them_in_the_timeline(alice):
    incident = open_incident()
    services.incident_transition(incident=incident, to_status="resolved", actor=alice,
                                 at=minutes(30))
    services.incident_transition(incident=incident, to_status="investigating", actor=alice,
                                 at=minutes(40), note="Failing again")
    assert incident.status == "investigating"
    assert incident.resolved_at is None and incident.mitigated_at is None
    assert incident.acknowledged_at == minutes(30)
    reopen = incident.timeline.last()
    assert reopen.text.startswith("Reopened: resolved → investigating")
    assert reopen.data["milestones"]["resolved_at"] == {"old": minutes(30).isoformat(),
                                                        "new": None}


def test_assigning_a_commander_acknowledges_the_incident(alice):
    incident = open_incident()
    services.incident_commander_assign(incident=incident, commander=alice, actor="token:bot",
                                       at=minutes(3))
    assert incident.acknowledged_at == minutes(3)
    services.incident_transition(incident=incident, to_status="identified", actor=alice,
                                 at=minutes(9))
    assert incident.acknowledged_at == minutes(3)  # the first of the two wins
    entry = incident.timeline.get(kind="updated")
    assert entry.data == {"field": "commander", "old": None, "new": "alice"}


def test_editing_a_milestone_records_old_and_new_value(alice):
    incident = open_incident()
    services.incident_milestone_set(incident=incident, milestone="started_at",
                                    value=minutes(-15), actor=alice, at=minutes(1))
    entry = incident.timeline.get(kind="milestone_changed")
    assert entry.data == {"milestone": "started_at", "old": T0.isoformat(),
                          "new": minutes(-15).isoformat()}
    assert entry.author == alice
    assert Incident.objects.get().started_at == minutes(-15)


def test_it_refuses_a_milestone_out_of_order_and_changes_nothing(alice):
    incident = open_incident()
    with pytest.raises(ValidationError) as err:
        services.incident_milestone_set(incident=incident, milestone="acknowledged_at",
                                        value=minutes(-5), actor=alice)
    assert "before" in err.value.message_dict["acknowledged_at"][0]
    with pytest.raises(ValidationError, match="Only a resolved incident"):
        services.incident_milestone_set(incident=incident, milestone="resolved_at",
                                        value=minutes(5), actor=alice)
    assert not incident.timeline.filter(kind="milestone_changed").exists()


def test_an_edit_with_a_bad_transition_rolls_back_every_change(alice):
    incident = open_incident()
    services.incident_transition(incident=incident, to_status="monitoring", actor=alice)
    with pytest.raises(ValidationError):
        services.incident_edit(incident=incident, actor=alice,
                               changes={"title": "New title", "status": "identified"})
    incident.refresh_from_db()
    assert incident.title == "Trades failing"
    assert incident.status == "monitoring"


def test_mtta_and_mttr_average_the_incidents_detected_in_the_period(alice):
    a = open_incident(at=T0)
    services.incident_transition(incident=a, to_status="identified", actor=alice, at=minutes(2))
    services.incident_transition(incident=a, to_status="resolved", actor=alice, at=minutes(30))
    b = open_incident(at=minutes(60))
    services.incident_commander_assign(incident=b, commander=alice, actor=alice, at=minutes(66))
    services.incident_transition(incident=b, to_status="resolved", actor=alice, at=minutes(150))
    open_incident(at=minutes(200))  # neither acknowledged nor resolved
    open_incident(at=T0 - timedelta(days=2))  # outside the period
    result = selectors.incident_mtta_mttr(since=T0 - timedelta(hours=1),
                                          until=T0 + timedelta(days=1))
    assert result["incidents"] == 3
    assert (result["acknowledged"], result["resolved"]) == (2, 2)
    assert result["mtta_seconds"] == 240.0  # (2 min + 6 min) / 2
    assert result["mttr_seconds"] == 3600.0  # (30 min + 90 min) / 2
    empty = selectors.incident_mtta_mttr(since=T0 + timedelta(days=5),
                                         until=T0 + timedelta(days=6))
    assert empty["mtta_seconds"] is None and empty["mttr_seconds"] is None


def test_it_counts_only_open_or_in_progress_action_items_past_their_due_date(alice):
    incident = open_incident()
    postmortem = services.postmortem_create(incident=incident, actor=alice)
    due = date(2026, 11, 20)
    for title, status, due_date in [
        ("late", "open", due), ("late too", "in_progress", due), ("done", "done", due),
        ("due today", "open", date(2026, 11, 24)), ("no date", "open", None),
    ]:
        services.action_item_create(postmortem=postmortem, title=title, status=status,
                                    due_date=due_date, owner=alice)
    assert selectors.action_items_overdue_count(now=T0) == 2
    assert selectors.action_items_overdue_count(now=T0 - timedelta(days=10)) == 0
    assert ActionItem.objects.get(title="done").completed_at is not None


def test_publishing_is_refused_while_an_action_item_has_no_owner(alice):
    incident = open_incident()
    services.incident_transition(incident=incident, to_status="resolved", actor=alice,
                                 at=minutes(10))
    postmortem = services.postmortem_create(incident=incident, actor=alice)
    item = services.action_item_create(postmortem=postmortem, title="Add a second RPC")
    with pytest.raises(ValidationError, match="'Add a second RPC'"):
        services.postmortem_status_set(postmortem=postmortem, to_status="published", actor=alice)
    item.owner = alice
    services.action_item_save(item=item)
    postmortem = services.postmortem_status_set(postmortem=postmortem, to_status="published",
                                                actor=alice, at=minutes(60))
    assert postmortem.status == "published" and postmortem.published_at == minutes(60)
    with pytest.raises(ValidationError, match="needs an owner"):
        services.action_item_create(postmortem=postmortem, title="Unowned later")


def test_publishing_is_refused_before_the_incident_is_resolved(alice):
    postmortem = services.postmortem_create(incident=open_incident(), actor=alice)
    with pytest.raises(ValidationError, match="Resolve the incident"):
        services.postmortem_status_set(postmortem=postmortem, to_status="published", actor=alice)


def test_the_markdown_export_carries_milestones_timeline_and_action_items(alice):
    incident = open_incident(title="RPC outage", severity="sev1", started_at=minutes(-5),
                             affected_components=["rpc", "trading"])
    services.incident_timeline_add(incident=incident, kind="action", text="Failed over to backup",
                                   author_label="rule:rpc-down", at=minutes(1))
    services.incident_transition(incident=incident, to_status="resolved", actor=alice,
                                 at=minutes(25))
    postmortem = services.postmortem_create(
        incident=incident, actor=alice, summary="Primary RPC went down.",
        users_affected=12, fees_affected_sol="0.125000000", root_cause="Provider outage",
    )
    services.action_item_create(postmortem=postmortem, title="Alert on RPC | latency",
                                owner=alice, due_date=date(2026, 12, 1))
    export = selectors.postmortem_export(postmortem=postmortem)
    assert export["impact"]["duration_seconds"] == 1800.0
    assert export["impact"]["fees_affected_sol"] == "0.125000000"
    assert [e["kind"] for e in export["timeline"]] == [
        "status_change", "action", "status_change", "updated"]  # the last: postmortem started
    md = selectors.postmortem_markdown(export=export)
    assert md.startswith("# Postmortem: RPC outage\n")
    assert "| duration | 30m 00s |" in md
    assert "| fees affected (SOL) | 0.125000000 |" in md
    assert "| resolved | 2026-11-24T12:25:00+00:00 |" in md
    assert "Time to acknowledge: 25m 00s; time to resolve: 25m 00s." in md
    assert "| 2026-11-24T12:01:00+00:00 | action | rule:rpc-down | Failed over to backup |" in md
    assert "| Alert on RPC \\| latency | alice | 2026-12-01 | open |" in md
    assert "## Root cause\n\nProvider outage\n" in md
    assert "## Lessons\n\n_Not written yet._" in md
