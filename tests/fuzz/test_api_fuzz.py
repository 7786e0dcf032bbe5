"""Schemathesis against the schema the portal serves (/api/schema), in process.

Every operation gets examples, coverage (boundary and negative values) and fuzzed
cases, positive and negative, sent with a token holding every scope to a database
seeded so that path ids hit real rows. Each answer must be no 5xx, a documented
status with a documented content type, and a body matching its schema; an answer
4xx must have changed no row anywhere (counts of every table, and a fingerprint of
every table the request wrote to). docs/security.md ("Fuzzing") says how to
run and reproduce it.
"""

import functools
import hashlib
import io
import re
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.apps import apps
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import negative_data_rejection

from accounts.services import api_token_create
from alerting.models import Alert, AlertRule
from checklist.models import ChecklistItem
from tests.backups.factories import BackupRunFactory
from tests.incidents.factories import ActionItemFactory, IncidentFactory
from tests.monitoring.factories import HeartbeatFactory, RpcEndpointFactory

pytestmark = pytest.mark.fuzz

# The suite must not pass on a handful of cases: below this, the run fails.
MIN_CASES = 1000
SEED = 20261124
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "negative_data_rejection"]
# Of the negative cases (data the schema forbids), at least this share must be refused
# with a 4xx; every one accepted is listed in the report.
MIN_NEGATIVE_REJECTED = 0.99
# Written on any request whatever its answer, so left out of "a rejected request
# writes no row": the request-timing middleware flushes its in-memory samples to
# the per-minute rollups every PERF_FLUSH_SECONDS, during whichever request comes.
WRITTEN_BY_ANY_REQUEST = {"monitoring.MeasurementRollup"}
# A generated id at most this large is mapped onto a seeded row; larger ones stay
# as they are, so unknown ids (404) are sent too.
MAPPED_IDS = 1000


@dataclass
class FuzzState:
    token: str = ""
    ids: dict[str, list[int]] = field(default_factory=dict)  # path prefix -> seeded ids
    cases: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    negative: int = 0
    accepted: list[str] = field(default_factory=list)


def _seed() -> dict[str, list[int]]:
    """One of each thing a path parameter can name, plus the plan's own rows."""
    call_command("bootstrap", "--admin-username", "fuzz-admin", "--admin-password",
                 "fuzz-admin-pw-0123", stdout=io.StringIO())
    now = timezone.now()
    rule = AlertRule.objects.first()
    alert = Alert.objects.create(rule=rule, state="firing", started_at=now, fired_at=now)
    bare = IncidentFactory(title="Without a postmortem", severity="sev3")
    item = ActionItemFactory(title="Add a backup RPC",
                             postmortem__incident__title="RPC outage",
                             postmortem__incident__summary="fuzz")
    incident = item.postmortem.incident
    RpcEndpointFactory(name="primary", url="https://rpc.example.com")
    HeartbeatFactory(name="bot")
    BackupRunFactory()
    assert ChecklistItem.objects.exists()
    return {
        "/api/v1/action-items/": [item.pk],
        "/api/v1/alert-rules/": list(AlertRule.objects.values_list("pk", flat=True)),
        "/api/v1/alerts/": [alert.pk],
        "/api/v1/incidents/": [incident.pk, bare.pk],
    }


@functools.cache
def _count_sql() -> tuple[list[str], str]:
    tables, labels = [], []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.label in WRITTEN_BY_ANY_REQUEST:
            continue
        if meta.db_table not in tables:
            tables.append(meta.db_table)
            labels.append(meta.label)
    quote = connection.ops.quote_name
    # One round trip for all tables: cheap enough to run around every call.
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)
    return labels, sql


def _row_counts(labels: list[str], sql: str) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(labels, cursor.fetchone(), strict=True))


CONFIG = schemathesis.Config.from_dict({
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": 25, "database": "none",
                   # The token is sent by the test; generated ones would only be 401s.
                   "with-security-parameters": False},
    "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS},
               # A refusal is a 4xx: a 5xx is already a failure of not_a_server_error.
               "negative_data_rejection": {"enabled": True, "expected-statuses": ["4xx"]}},
    "phases": {"stateful": {"enabled": False}},
})
# Loaded at collection from the running app, as a client would: one test per operation.
# (The schema view reads no database; pytest-django would refuse it here.)
# Django's WSGI handler, not opsportal.wsgi: importing that would bound every database
# round trip of this whole pytest process (its web-worker setting, DB_QUERY_TIMEOUT).
schema = schemathesis.openapi.from_wsgi("/api/schema", get_wsgi_application(),
                                        config=CONFIG)
OPERATIONS = sum(1 for _ in schema.get_all_operations())
RUN = {"operations": 0, "cases": 0, "statuses": {}, "negative": 0, "accepted": []}


@pytest.fixture(scope="module", autouse=True)
def _enough_cases():
    yield
    # Only a full run (every operation) is held to the total; `-k` picks a few.
    negative, accepted = RUN["negative"], RUN["accepted"]
    rejected = (negative - len(accepted)) / negative if negative else 1.0
    print(f"\nfuzz: {RUN['cases']} cases over {RUN['operations']} operations, "
          f"statuses {dict(sorted(RUN['statuses'].items()))}; negative cases {negative}, "
          f"refused with a 4xx {rejected:.2%}")
    for line in accepted:
        print(f"  accepted negative case: {line}")
    if RUN["operations"] == OPERATIONS:
        assert RUN["cases"] >= MIN_CASES, f"only {RUN['cases']} cases ran: {RUN}"
    assert rejected >= MIN_NEGATIVE_REJECTED, \
        f"{len(accepted)} of {negative} negative cases were accepted: {accepted}"


@pytest.fixture
def fuzz_state(db, settings):
    # Fuzzing must not be throttled into 429s (their documentation is checked anyway).
    settings.INGEST_RATE_LIMIT = ""
    settings.PING_RATE_LIMIT = ""
    settings.LOGIN_RATE_LIMIT = ""
    state = FuzzState(ids=_seed())
    _, state.token = api_token_create(name="fuzz", scopes=["ingest", "read", "write",
                                                            "evidence", "control"])
    # Requests go through the real WSGI handler, whose request signals would close the
    # test's connection (and its transaction); Django's test client unhooks them too.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield state
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)
    RUN["operations"] += 1
    RUN["cases"] += state.cases
    RUN["negative"] += state.negative
    RUN["accepted"] += state.accepted
    for code, n in state.statuses.items():
        RUN["statuses"][code] = RUN["statuses"].get(code, 0) + n


def _map_ids(case, ids: dict[str, list[int]]) -> None:
    value = (case.path_parameters or {}).get("id")
    # The coverage phase sends ids as strings; the URL is the same either way.
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAPPED_IDS:
        return
    for prefix, seeded in ids.items():
        if case.path.startswith(prefix):
            case.path_parameters["id"] = seeded[value % len(seeded)]
            return


@schema.parametrize()
# One seeded database per operation, shared by its examples on purpose: what an
# accepted request wrote is there for the next one, as on a live portal.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api(case, fuzz_state):
    _map_ids(case, fuzz_state.ids)
    labels, sql = _count_sql()
    before = _row_counts(labels, sql)
    writes = _WriteRecorder()
    with connection.execute_wrapper(writes):
        response = case.call(headers={"Authorization": f"Bearer {fuzz_state.token}"})
    fuzz_state.cases += 1
    code = response.status_code
    fuzz_state.statuses[code] = fuzz_state.statuses.get(code, 0) + 1
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    fuzz_state.negative += negative
    accepted = False
    if negative:
        try:
            case.validate_response(response, checks=[negative_data_rejection])
        except FailureGroup:
            accepted = True
            # Tallied rather than failed at once: the share is held to MIN_NEGATIVE_REJECTED.
            what = getattr(case.meta.phase.data, "description", None) or repr(case.body)
            fuzz_state.accepted.append(
                f"{case.method} {case.formatted_path} answered {code}: {what}")
    # A 4xx writes nothing; neither does a negative case, whatever its answer.
    if accepted or 400 <= code < 500:
        after = _row_counts(labels, sql)
        written = {k: (before[k], after[k]) for k in labels if before[k] != after[k]}
        assert not written, f"{case.method} {case.formatted_path} answered {code} " \
                            f"but wrote rows: {written}"
        changed = writes.changed()
        assert not changed, f"{case.method} {case.formatted_path} answered {code} " \
                            f"but changed rows of: {changed}"
    case.validate_response(response, excluded_checks=[negative_data_rejection])


class _WriteRecorder:
    """Fingerprints each table just before the request's first write to it, so that an
    answer 4xx can be held to "nothing changed": row counts miss an UPDATE, and a write
    rolled back (or a guarded UPDATE that matched nothing) is rightly no change at all."""

    def __init__(self):
        self.before: dict[str, str] = {}  # db table -> fingerprint before its first write

    def __call__(self, execute, sql, params, many, context):
        match = _WRITE.match(sql)
        if match:
            table = match.group(1)
            if table not in self.before and table in _models_by_table():
                self.before[table] = _fingerprint(table)
        return execute(sql, params, many, context)

    def changed(self) -> list[str]:
        return [t for t, fp in self.before.items() if _fingerprint(t) != fp]


_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"([^"]+)"', re.IGNORECASE)
# Columns any authenticated request writes, whatever the answer: the token's last use
# (accounts/authentication.py) is bookkeeping of the caller, not of the input.
IGNORED_COLUMNS = {"accounts_apitoken": {"last_used_at"}}


@functools.cache
def _models_by_table() -> dict:
    return {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)
            if m._meta.label not in WRITTEN_BY_ANY_REQUEST and not m._meta.proxy}


def _fingerprint(table: str) -> str:
    model = _models_by_table()[table]
    columns = [f.attname for f in model._meta.concrete_fields
               if f.attname not in IGNORED_COLUMNS.get(table, ())]
    rows = model._base_manager.order_by("pk").values_list(*columns)
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()
