"""Incidents, postmortems and action items, made through incidents.services."""

import factory

from incidents import services
from incidents.models import ActionItem, Incident, Postmortem
from tests.factories import service_factory


class IncidentFactory(service_factory(services.incident_open)):
    class Meta:
        model = Incident

    title = factory.Sequence(lambda n: f"Incident {n}")
    severity = "sev2"


class PostmortemFactory(service_factory(services.postmortem_create)):
    class Meta:
        model = Postmortem

    incident = factory.SubFactory(IncidentFactory)
    actor = None


class ActionItemFactory(service_factory(services.action_item_create)):
    class Meta:
        model = ActionItem

    postmortem = factory.SubFactory(PostmortemFactory)
    title = factory.Sequence(lambda n: f"Action item {n}")
