"""Postmortem edits and action-item changes keep their own history: what changed,
from what to what, by whom; shown on their admin pages."""

import pytest

from incidents import services
from incidents.models import ActionItemEvent, PostmortemRevision
from tests.accounts.factories import StaffFactory
from tests.incidents.factories import ActionItemFactory, PostmortemFactory

pytestmark = pytest.mark.django_db


def test_a_postmortem_edit_through_the_api_is_a_revision_naming_its_token(write_client):
    postmortem = PostmortemFactory(summary="first draft")
    url = f"/api/v1/incidents/{postmortem.incident_id}/postmortem"
    response = write_client.patch(url, {"summary": "Provider outage", "users_affected": 12,
                                        "fees_affected_sol": "0.125"}, format="json")
    assert response.status_code == 200, response.content
    started, edited = postmortem.revisions.all()
    assert started.note == "started as a draft"
    assert edited.changes == {"summary": ["first draft", "Provider outage"],
                              "users_affected": [None, 12],
                              "fees_affected_sol": [None, "0.125000000"]}
    assert edited.actor.startswith("token:") or edited.actor  # who made the edit
    # Sending the same values again changes nothing, so it is no revision.
    write_client.patch(url, {"summary": "Provider outage"}, format="json")
    assert postmortem.revisions.count() == 2


def test_publishing_and_unpublishing_are_revisions(roles):
    commander = StaffFactory(role="Incident Commander")
    postmortem = PostmortemFactory()
    incident = postmortem.incident
    for status in ("identified", "monitoring", "resolved"):
        services.incident_transition(incident=incident, to_status=status, actor=commander)
    services.postmortem_status_set(postmortem=postmortem, to_status="published",
                                   actor=commander)
    services.postmortem_status_set(postmortem=postmortem, to_status="draft", actor=commander)
    published, unpublished = postmortem.revisions.all()[1:]
    assert published.changes["status"] == ["draft", "published"]
    assert published.changes["published_at"][0] is None and published.changes["published_at"][1]
    assert unpublished.changes["status"] == ["published", "draft"]
    assert published.actor == commander.username


def test_an_action_item_keeps_who_changed_its_owner_and_status(write_client, roles):
    owner = StaffFactory(role="Operator")
    item = ActionItemFactory(title="Add a backup RPC")
    response = write_client.patch(f"/api/v1/action-items/{item.pk}",
                                  {"owner": owner.username, "status": "done"}, format="json")
    assert response.status_code == 200, response.content
    added, changed = item.events.all()
    assert added.note == "added"
    assert changed.changes["owner"] == [None, owner.pk]
    assert changed.changes["status"] == ["open", "done"]
    assert changed.changes["completed_at"][0] is None


def test_the_admin_shows_both_histories(admin_client, roles):
    owner = StaffFactory(role="Operator")
    item = ActionItemFactory()
    services.postmortem_update(postmortem=item.postmortem, actor=owner, summary="Edited")
    item.owner = owner
    services.action_item_save(item=item, actor=owner)
    page = admin_client.get(f"/admin/incidents/postmortem/{item.postmortem_id}/change/")
    assert page.status_code == 200
    assert "edited summary" in page.content.decode()
    page = admin_client.get(f"/admin/incidents/actionitem/{item.pk}/change/")
    assert "changed owner" in page.content.decode()
    assert PostmortemRevision.objects.count() == 2 and ActionItemEvent.objects.count() == 2
