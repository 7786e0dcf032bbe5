import threading

import psycopg
import pytest
from django.db import connection, connections
from django.utils import timezone

from monitoring.models import Event, EventRollup
from tests.monitoring.events import ingest, trade
from tests.processes import test_database_url as pg_url
from tests.processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_concurrent_insert_of_the_same_id_is_stored_and_counted_once():
    # Another session has inserted "race-1" but not committed: our COPY waits on the unique
    # index, fails once it commits, and must fall back without losing "race-2".
    other = psycopg.connect(pg_url())
    other.execute("INSERT INTO monitoring_event (id, type, ts, payload, received_at) "
                  "VALUES ('race-1', 'ws_status', now(), '{\"connected\": true}', now())")
    out = {}

    def run():
        try:
            out["result"] = ingest([trade(id="race-1"), trade(id="race-2")])
        finally:
            connections.close_all()

    t = threading.Thread(target=run)
    t.start()
    try:
        # autocommit: pg_stat_activity is a snapshot per transaction.
        with psycopg.connect(pg_url(), autocommit=True) as watcher:
            wait_for(lambda: watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()").fetchone()[0], 10, what="ingest to block")
    finally:
        other.commit()  # whatever happened, release the ingest thread
        other.close()
        t.join(10)
    assert out["result"] == (1, 1)
    assert set(Event.objects.values_list("id", flat=True)) == {"race-1", "race-2"}
    assert EventRollup.objects.get(seconds=60).events == 1


def test_an_id_stored_earlier_is_a_duplicate_on_every_backend():
    assert ingest([trade(id="a", ts=timezone.now())]) == (1, 0)
    assert ingest([trade(id="a"), trade(id="b")]) == (1, 1)
    assert connection.vendor in ("sqlite", "postgresql")
