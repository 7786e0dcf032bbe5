"""An incident commander runs an incident end to end through the admin in Chromium."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_commander_runs_an_incident_and_publishes_its_postmortem(
    page, login, live_server, incident_commander,
):
    incident = services.incident_open(
        title="Trade success rate below 95%", severity="sev2", source="rule:trade-success",
        actor="rule:trade-success", at=timezone.now() - timedelta(minutes=20),
    )
    login(incident_commander, "pw-commander")

    # Find it in the list and open it.
    page.goto(f"{live_server.url}/admin/incidents/incident/")
    assert "overdue action items" in page.locator("#incident-stats").inner_text()
    page.get_by_role("link", name="Trade success rate below 95%").click()
    assert "Investigating" in page.locator(".incident-controls").inner_text()

    # Two notes through the timeline inline, one per save.
    for text in ["Jupiter quotes time out", "Switched routing to bags.fm"]:
        page.locator("textarea[name$='-text']:not([name*=__prefix__])").last.fill(text)
        page.locator("input[name=_continue]").click()
        assert "was changed successfully" in page.locator(".messagelist").inner_text()
    timeline = page.locator(".inline-group").inner_text()
    assert "Jupiter quotes time out" in timeline and "Switched routing to bags.fm" in timeline

    # Identified with a note, then resolved, with the status buttons.
    page.fill("input[name=note]", "Jupiter API degraded")
    page.click("#transition-identified")
    assert "is now Identified" in page.locator(".messagelist").inner_text()
    page.click("#transition-resolved")
    assert "is now Resolved" in page.locator(".messagelist").inner_text()
    assert page.locator("#transition-investigating").is_visible()  # only reopen is left

    # Write the postmortem with an action item, then publish it.
    page.click("#write-postmortem")
    assert "Postmortem started" in page.locator(".messagelist").inner_text()
    page.fill("#id_summary", "Jupiter timeouts failed 8% of trades for 20 minutes.")
    page.fill("#id_trades_affected", "42")
    page.fill("#id_fees_affected_sol", "0.35")
    page.fill("#id_root_cause", "Upstream Jupiter quote API latency.")
    page.fill("#id_lessons", "Fail over to bags.fm automatically.")
    page.fill("#id_action_items-0-title", "Automatic routing failover")
    page.select_option("#id_action_items-0-owner", label="commander")
    page.fill("#id_action_items-0-due_date", (timezone.localdate() + timedelta(days=7)).isoformat())
    page.locator("input[name=_continue]").click()
    assert "was changed successfully" in page.locator(".messagelist").inner_text()
    page.click("#publish-postmortem")
    assert "Postmortem is now Published" in page.locator(".messagelist").inner_text()

    incident = Incident.objects.get(pk=incident.pk)
    assert incident.status == "resolved" and incident.resolved_at is not None
    postmortem = incident.postmortem
    assert postmortem.status == "published"
    assert str(postmortem.fees_affected_sol) == "0.350000000"
    assert postmortem.action_items.get().owner == incident_commander
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds.count("note") == 2 and kinds.count("status_change") == 3

    # The same Markdown the API serves is a download away.
    with page.expect_download() as download:
        page.click("#download-markdown")
    text = open(download.value.path(), encoding="utf-8").read()
    assert "# Postmortem: Trade success rate below 95%" in text
    assert "| Automatic routing failover | commander |" in text
