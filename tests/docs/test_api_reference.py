"""Every curl example in docs/api-reference.md runs against the portal (and a guide's
examples of one endpoint: GUIDE_EXAMPLES, e.g. docs/backups.md registering data stores).

An example is a ```bash block whose command is `curl ...`, followed by the
response block (```json, or ```text / ```markdown for non-JSON). A line
`# → 202` in the curl block states the status. The examples run in document order against
one database, so an example may use what an earlier one created (ids start
at 1). The documented response's keys (recursively) must be present in the
real response; values may differ (timestamps, ids of a different run).

Besides `$TOKEN` (a token with every scope) and `$READ_TOKEN` (scope `read`
only, for the 403 example), `$UUID` stands for the uuid of
the first heartbeat created by an earlier example (uuids are random, so the
page cannot spell one out). A `bash` block holding one
`.venv/bin/python manage.py ...` command runs that command in-process (e.g.
`monitor_once`, so that alerts exist); the first word of its documented
output must appear in the real output. `-G` with `--data-urlencode`/`-d` sends the data
as a query string, as curl does. The POSTed backup is published to a private
broker folder so that no worker ever runs it. A `bash` block that is one heredoc,
`cat > FILE <<'EOF'` ... `EOF`, writes FILE (kept in memory, not on disk) for a
later `curl --data-binary @FILE` to send, as the CI's report files are sent.

The page's examples carry fixed timestamps (`2026-11-24T12:00:00Z`), as a reader
would copy them; the metrics' windows end now, so the test moves every date in a
request by one offset that puts the page's clock 15 minutes before the real one
(their spacing kept). Without that the suite expires a day after the page was written.
"""

import io
import json
import re
import shlex
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_token_create
from monitoring.models import Heartbeat
from tests.backups.test_worker import private_broker  # noqa: F401  (a fixture)

DOC = Path(__file__).resolve().parents[2] / "docs" / "api-reference.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)
MANAGE = ".venv/bin/python manage.py "
HEREDOC = re.compile(r"cat > (\S+) <<'EOF'\n(.*?\n)EOF\s*\Z", re.S)
# The page's "now": the time its event examples are written around.
PAGE_NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DATE = re.compile(r"(\d{4}-\d\d-\d\d)(T\d\d:\d\d:\d\d)?")


def shift_dates(body: str, now: datetime) -> str:
    """Every date in a request moved so that PAGE_NOW becomes 15 minutes before `now`.

    A time zone suffix (or its absence, which one example is about) is left as written.
    """
    offset = now - timedelta(minutes=15) - PAGE_NOW

    def move(match):
        if match.group(2) is None:
            return (date.fromisoformat(match.group(1)) + timedelta(days=offset.days)).isoformat()
        moved = datetime.fromisoformat(match.group(0)).replace(tzinfo=UTC) + offset
        return moved.strftime("%Y-%m-%dT%H:%M:%S")

    return DATE.sub(move, body)


def run_command(body: str) -> str:
    """A `bash` block of one `manage.py` command runs in-process; its output is returned."""
    out = io.StringIO()
    call_command(*shlex.split(body.strip()[len(MANAGE):]), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def examples(doc: Path = DOC, only: str = ""):
    """(curl or command block, its documented response) in page order; with `only`,
    the blocks that mention it (a guide's examples of one endpoint)."""
    blocks = BLOCK.findall(doc.read_text())
    found = []
    for i, (lang, body) in enumerate(blocks):
        if lang != "bash" or not body.lstrip().startswith(("curl ", MANAGE, "cat > ")):
            continue
        if only and only not in body:
            continue
        response = blocks[i + 1] if i + 1 < len(blocks) else ("", "")
        found.append((body, response))
    return found


def test_dates_move_together_and_keep_their_zone():
    now = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    body = '"ts": "2026-11-24T12:10:00Z", "b": "2026-11-24T12:00:00", "due": "2026-12-01"'
    assert shift_dates(body, now) == (
        '"ts": "2031-05-06T07:03:09Z", "b": "2031-05-06T06:53:09", "due": "2031-05-12"')


def parse_curl(body: str, files: dict[str, str] | None = None) -> dict:
    status = re.search(r"#\s*→\s*(\d{3})", body)
    command = " ".join(
        line.rstrip("\\").strip() for line in body.splitlines()
        if line.strip() and not line.strip().startswith("#")
    )
    args = shlex.split(command)[1:]
    req = {"method": None, "headers": {}, "data": None, "url": None,
           "status": int(status.group(1)) if status else 200}
    query, as_query = [], "-G" in args or "--get" in args
    it = iter(args)
    for arg in it:
        if arg in ("-G", "--get", "-s", "-S", "-sS", "-f", "-i"):
            continue
        if arg == "--data-urlencode":
            name, _, value = next(it).partition("=")
            query.append(urlencode({name: value}))
        elif as_query and arg in ("-d", "--data"):
            query.append(next(it))
        elif arg in ("-X", "--request"):
            req["method"] = next(it)
        elif arg in ("-H", "--header"):
            name, _, value = next(it).partition(":")
            req["headers"][name.strip()] = value.strip()
        elif arg in ("-d", "--data", "--data-raw", "--data-binary"):
            value = next(it)
            if arg == "--data-binary" and value.startswith("@"):
                value = (files or {})[value[1:]]  # a file an earlier heredoc block wrote
            req["data"] = value
        elif arg in ("-I", "--head"):
            req["method"] = "HEAD"
        elif arg.startswith("http"):
            req["url"] = arg
    if query:
        req["url"] += ("&" if "?" in req["url"] else "?") + "&".join(query)
    req["method"] = req["method"] or ("POST" if req["data"] is not None else "GET")
    return req


def keys_present(documented, actual, where="$"):
    """Every key of the documented JSON exists in the actual JSON (recursively)."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        for key, value in documented.items():
            assert key in actual, f"{where}: missing key {key!r}"
            keys_present(value, actual[key], f"{where}.{key}")
    elif isinstance(documented, list) and documented:
        assert isinstance(actual, list) and actual, f"{where}: expected a non-empty list"
        keys_present(documented[0], actual[0], f"{where}[0]")


@pytest.mark.django_db(transaction=True, reset_sequences=True)
@pytest.mark.usefixtures("private_broker")
def test_every_api_reference_example_answers_as_documented(portal_admin):
    cases = examples()
    assert len(cases) >= 5, "the API reference lost its examples"
    _run_examples(cases, bot_traffic=True)


GUIDE_EXAMPLES = [(DOC.parent / "backups.md", "/api/v1/datastores")]


@pytest.mark.django_db(transaction=True, reset_sequences=True)
@pytest.mark.parametrize("doc,only", GUIDE_EXAMPLES, ids=lambda v: getattr(v, "name", v))
def test_the_guides_curl_examples_answer_as_documented(portal_admin, doc, only):
    """A guide's examples of one endpoint (docs/backups.md registers the bot's stores)."""
    cases = examples(doc, only)
    assert len(cases) >= 3, f"{doc.name} lost its {only} examples"
    _run_examples(cases)


def _run_examples(cases, *, bot_traffic: bool = False):
    _, raw = api_token_create(name="docs", scopes=["ingest", "read", "write", "evidence",
                                                   "control"])
    _, read_only = api_token_create(name="docs-read", scopes=["read"])
    client = APIClient()
    if bot_traffic:
        _bot_traffic(client, cases, raw)
    files: dict[str, str] = {}
    for body, (lang, documented) in cases:
        heredoc = HEREDOC.fullmatch(body.strip() + "\n")
        if body.lstrip().startswith("cat > "):
            assert heredoc, f"a `cat > FILE <<'EOF'` block must be one heredoc: {body[:80]}"
            files[heredoc.group(1)] = heredoc.group(2)
            continue
        if body.lstrip().startswith(MANAGE):
            output = run_command(body)
            if documented.strip():
                first = documented.strip().split()[0]
                assert first in output, (body, output)
            continue
        if "$UUID" in body:
            body = body.replace("$UUID", str(Heartbeat.objects.order_by("created_at")[0].uuid))
        body = shift_dates(body, timezone.now())
        req = parse_curl(body.replace("$READ_TOKEN", read_only).replace("$TOKEN", raw), files)
        url = urlsplit(req["url"])
        path = url.path + (f"?{url.query}" if url.query else "")
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in req["headers"].items()
                   if k.lower() != "content-type"}
        content_type = req["headers"].get("Content-Type", "application/json")
        response = client.generic(req["method"], path, data=req["data"] or "",
                                  content_type=content_type, **headers)
        label = f"{req['method']} {path}"
        assert response.status_code == req["status"], (label, response.content[:500])
        if lang == "json" and req["method"] != "HEAD":
            keys_present(json.loads(documented), response.json(), label)
        elif lang in ("text", "markdown") and documented.strip():
            first = documented.strip().splitlines()[0]
            assert first.split()[0] in response.content.decode(), (label, first)


def _bot_traffic(client, cases, token):
    """The page's events are marked synthetic (issue 19.4), so /metrics never counts
    them; its /metrics example shows a portal with traffic. The same events, unmarked
    and under other ids, stand in for the bot's own, sent before the page runs."""
    sent = 0
    for body, _ in cases:
        if "/api/v1/events" not in body or '"synthetic": true' not in body:
            continue
        req = parse_curl(shift_dates(body, timezone.now()))
        if req["status"] != 202:
            continue
        batch = json.loads(req["data"])
        for event in batch["events"]:
            assert event.pop("synthetic") is True, "every example event is marked"
            event["id"] = f"bot-{event['id']}"
        response = client.post("/api/v1/events", batch, format="json",
                               HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 202, response.content
        sent += 1
    assert sent, "the page lost its marked event examples"
