"""Each app's factories build through the app's services: what they make is what the
portal itself would have written (first history rows, validation)."""

import pytest
from django.core.exceptions import ValidationError

from tests.accounts.factories import StaffFactory, api_token
from tests.alerting.factories import AlertRuleFactory, NotificationChannelFactory, SilenceFactory
from tests.backups.factories import BackupRunFactory
from tests.incidents.factories import ActionItemFactory, IncidentFactory
from tests.monitoring.factories import HeartbeatFactory, RpcEndpointFactory

pytestmark = pytest.mark.django_db


def test_an_incident_gets_its_opening_timeline_entry():
    incident = IncidentFactory()
    assert incident.timeline.count() == 1


def test_an_action_item_comes_with_its_postmortem_and_incident():
    item = ActionItemFactory()
    assert item.postmortem.incident.pk and item.postmortem.status == "draft"


def test_a_backup_run_is_queued_with_its_first_history_row():
    run = BackupRunFactory()
    assert run.status == "queued" and run.events.count() == 1


def test_services_validate_what_factories_are_given():
    with pytest.raises(ValidationError):
        AlertRuleFactory(metric_key="not_a_metric")
    with pytest.raises(ValidationError):
        NotificationChannelFactory(url="not a url")
    assert SilenceFactory().rule.pk


def test_the_first_rpc_endpoint_is_active_and_heartbeats_start_new():
    assert RpcEndpointFactory().is_active and not RpcEndpointFactory().is_active
    assert HeartbeatFactory().status == "new"


def test_staff_get_their_role_and_tokens_their_scopes(roles):
    operator = StaffFactory(role="Operator")
    assert operator.has_perm("alerting.add_alertrule")
    assert not StaffFactory(role="Viewer").has_perm("alerting.add_alertrule")
    assert api_token(scopes=["read"])
