""""SSL certificates valid" and "API keys valid" are computed from the probes (issue 18.6)."""

import pytest
from django.utils import timezone

from checklist.models import ChecklistItem, ItemStatus
from checklist.services.verification import checklist_verify
from monitoring.services import probes
from tests.monitoring.test_api_keys import BAD, GOOD, telegram
from tests.monitoring.tls import https_server, test_ca  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def item(key):
    return ChecklistItem.objects.get(key=key)


def last_result(key):
    return item(key).verifications.order_by("-checked_at", "-pk").first()


def test_nothing_registered_leaves_both_items_to_do(plan):
    checklist_verify()
    assert item("infra-ssl-valid").status == ItemStatus.TODO
    assert last_result("infra-ssl-valid").detail == "no https dependency registered"
    assert item("deploy-api-keys").status == ItemStatus.TODO
    assert last_result("deploy-api-keys").detail == "no API key registered (admin → API keys)"


def test_ssl_item_follows_the_certificates(plan, test_ca):  # noqa: F811
    with https_server(test_ca, days_left=90) as fine, https_server(test_ca, days_left=5) as soon:
        probes.dependency_create(name="bags", url=fine.url, kind="bags")
        d = probes.dependency_create(name="jupiter", url=soon.url, kind="jupiter")
        probes.dependencies_probe(now=timezone.now())
        checklist_verify()
        assert item("infra-ssl-valid").status == ItemStatus.TODO
        assert last_result("infra-ssl-valid").detail.startswith("jupiter: expires ")
        d.delete()
        checklist_verify()
    it = item("infra-ssl-valid")
    assert it.status == ItemStatus.DONE
    assert it.evidence_note.endswith(": 1 https certificates valid > 14 days: bags 90 d")


def test_api_keys_item_follows_the_key_checks(plan, test_ca, settings):  # noqa: F811
    with https_server(test_ca, days_left=90, respond=telegram) as server:
        settings.TELEGRAM_API_URL = server.url
        probes.api_key_create(provider="telegram", name="bot", secret=GOOD)
        old = probes.api_key_create(provider="telegram", name="old bot", secret=BAD)
        probes.api_keys_check(now=timezone.now())
    checklist_verify()
    assert item("deploy-api-keys").status == ItemStatus.TODO
    assert "old bot (telegram): invalid" in last_result("deploy-api-keys").detail
    old.delete()
    checklist_verify()
    it = item("deploy-api-keys")
    assert it.status == ItemStatus.DONE
    assert it.evidence_note.endswith(": 1 keys valid within the last hour: bot (telegram)")
