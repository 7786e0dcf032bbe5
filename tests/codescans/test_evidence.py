"""Evidence from the bot's CI (issue 17.2): real coverage.py and pytest reports of a
small project, posted to /api/v1/evidence/...; malformed ones refused, nothing stored."""

import json
import os
import subprocess
import sys
import time

import pytest
from rest_framework.test import APIClient

from codescans import selectors
from codescans.models import CodeReview, CoverageReport, TestReport
from codescans.services import EvidenceTooLarge, evidence_body_read

pytestmark = pytest.mark.django_db
SHA = "3f9c2ab41d07e6c5b8a9f0e1d2c3b4a5f6e7d8c9"
OTHER_SHA = "a" * 40

CALC = '''def add(a, b):
    return a + b


def div(a, b):
    if b == 0:
        raise ZeroDivisionError("b")
    return a / b


def unused():
    x = 1
    return x
'''
TESTS = '''import pytest

import calc


def test_add():
    assert calc.add(1, 2) == 3


def test_div_is_wrong():
    assert calc.div(1, 2) == 1


@pytest.mark.skip(reason="later")
def test_later():
    pass


@pytest.fixture
def broken():
    raise RuntimeError("setup")


def test_setup_fails(broken):
    pass
'''


@pytest.fixture(scope="module")
def ci_run(tmp_path_factory):
    """The bot's CI in miniature: `coverage run -m pytest --junitxml`, then `coverage
    xml` and `coverage json`, as real processes. Returns the report files' bytes."""
    project = tmp_path_factory.mktemp("bot")
    (project / "calc.py").write_text(CALC)
    (project / "test_calc.py").write_text(TESTS)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "PYTEST_", "COVERAGE_"))}

    def run(*args, check=True):
        return subprocess.run([sys.executable, "-m", "coverage", *args], cwd=project, env=env,
                              capture_output=True, text=True, timeout=120, check=check)

    tests = run("run", "--branch", "--source=.", "-m", "pytest", "-q", "-p",
                "no:cacheprovider", "--junitxml=junit.xml", check=False)
    assert tests.returncode == 1, tests.stdout + tests.stderr  # one test fails, on purpose
    run("xml", "-o", "coverage.xml")
    run("json", "-o", "coverage.json")
    return {"summary": tests.stdout.strip().splitlines()[-1],
            **{name: (project / name).read_bytes()
               for name in ("junit.xml", "coverage.xml", "coverage.json")}}


@pytest.fixture
def ci(make_token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('evidence', name='bot-ci')}")
    return client


def post(client, kind, body, content_type, commit=SHA):
    query = "" if commit is None else f"?commit={commit}"
    return client.generic("POST", f"/api/v1/evidence/{kind}{query}", body,
                          content_type=content_type)


def counts():
    return (CoverageReport.objects.count(), TestReport.objects.count(),
            CodeReview.objects.count())


def test_real_reports_are_stored_with_the_numbers_coverage_and_pytest_give(ci, ci_run):
    totals = json.loads(ci_run["coverage.json"])["totals"]

    xml = post(ci, "coverage", ci_run["coverage.xml"], "application/xml")
    assert xml.status_code == 201, xml.content
    row = CoverageReport.objects.get(pk=xml.json()["id"])
    assert (row.commit, row.format, row.posted_by) == (SHA, "cobertura", "token:bot-ci")
    assert (row.lines_covered, row.lines_valid) == (totals["covered_lines"],
                                                    totals["num_statements"])
    assert row.line_rate == pytest.approx(totals["covered_lines"] / totals["num_statements"],
                                          abs=1e-4)
    assert row.branch_rate == pytest.approx(totals["covered_branches"]
                                            / totals["num_branches"], abs=1e-4)
    assert row.files == 2 and row.size_bytes == len(ci_run["coverage.xml"])
    assert row.lowest_files[0] == {"path": "calc.py", "line_rate": 0.6667, "missing": 3}

    as_json = post(ci, "coverage", ci_run["coverage.json"], "application/json")
    assert as_json.status_code == 201, as_json.content
    body = as_json.json()
    assert body["format"] == "coverage.py-json"
    assert (body["lines_covered"], body["lines_valid"], body["files"]) == (
        row.lines_covered, row.lines_valid, 2)
    assert body["lowest_files"] == row.lowest_files

    junit = post(ci, "tests", ci_run["junit.xml"], "application/xml")
    assert junit.status_code == 201, junit.content
    # pytest's own summary line: "1 failed, 1 passed, 1 skipped, 1 error in 0.31s"
    assert "1 failed, 1 passed, 1 skipped, 1 error" in ci_run["summary"]
    report = junit.json()
    assert {k: report[k] for k in ("tests", "failures", "errors", "skipped", "suites")} == {
        "tests": 4, "failures": 1, "errors": 1, "skipped": 1, "suites": 1}
    assert report["failed_ids"] == ["test_calc::test_div_is_wrong",
                                    "test_calc::test_setup_fails"]
    assert report["duration_seconds"] > 0
    assert selectors.coverage_latest().format == "coverage.py-json"
    assert selectors.test_report_latest().pk == report["id"]


def test_the_same_report_twice_is_one_row(ci, ci_run):
    first = post(ci, "tests", ci_run["junit.xml"], "application/xml")
    again = post(ci, "tests", ci_run["junit.xml"], "text/xml; charset=utf-8")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    # The same file for another commit is evidence for that commit.
    other = post(ci, "tests", ci_run["junit.xml"], "application/xml", commit=OTHER_SHA)
    assert other.status_code == 201
    assert TestReport.objects.count() == 2


def test_reviews_are_stored_and_found_by_short_or_long_sha(ci):
    review = {"change": "https://github.com/example/bot/pull/42",
              "approved_by": ["alice", "carol", "alice"], "author": "bob"}
    response = post(ci, "review", json.dumps(review), "application/json", commit=SHA.upper())
    assert response.status_code == 201, response.content
    assert response.json()["approved_by"] == ["alice", "carol"]
    assert response.json()["commit"] == SHA
    # Retried with other spacing and order: the same review.
    retry = post(ci, "review", json.dumps({**review, "approved_by": ["carol", "alice"]},
                                          indent=2), "application/json")
    assert (retry.status_code, retry.json()["id"]) == (200, response.json()["id"])
    assert selectors.code_review_for_commit(SHA[:7]).change == review["change"]
    assert selectors.code_review_for_commit(SHA + "0" * 24) is not None  # a longer id
    assert selectors.code_review_for_commit(OTHER_SHA) is None
    assert selectors.code_review_for_commit("3f9c") is None
    assert selectors.code_review_latest().pk == response.json()["id"]


MALFORMED = [
    ("coverage", "application/xml", b"", "the body is empty"),
    ("coverage", "application/xml", b'<coverage line-rate="0.5" lines-covered="1"',
     "not well-formed XML"),
    ("coverage", "application/xml", b"<report/>", "root element is <report>"),
    ("coverage", "application/xml",
     b'<coverage line-rate="high" lines-covered="1" lines-valid="2"/>', "is not a number"),
    ("coverage", "application/xml",
     b'<coverage line-rate="NaN" lines-covered="1" lines-valid="2"/>', "not a finite number"),
    ("coverage", "application/xml",
     b'<coverage line-rate="1.5" lines-covered="1" lines-valid="2"/>', "not between 0 and 1"),
    ("coverage", "application/xml",
     b'<coverage line-rate="0.5" lines-covered="-1" lines-valid="2"/>', "is negative"),
    ("coverage", "application/xml",
     b'<coverage line-rate="0.9" lines-covered="1" lines-valid="2"/>', "contradicts"),
    ("coverage", "application/xml", b'<coverage><packages/></coverage>', "measures no lines"),
    ("coverage", "application/xml", b'<coverage><class filename="a.py"><lines>'
     b'<line number="1" hits="many"/></lines></class></coverage>', "hits='many'"),
    ("coverage", "application/json", b'{"meta": {}}', "no `totals`"),
    ("coverage", "application/json", b'{"totals": {}}', "needs a `meta` object"),
    ("coverage", "application/json", b'{"meta": {}, "totals": {"covered_lines": 1, '
     b'"num_statements": 2, "percent_covered": NaN}}', "NaN"),
    ("coverage", "application/json", b'{"meta": {}, "totals": {"covered_lines": -1, '
     b'"num_statements": 2, "percent_covered": 50}}', "is negative"),
    ("coverage", "application/json", b'{"meta": {}, "totals": {"covered_lines": "1", '
     b'"num_statements": 2, "percent_covered": 50}}', "must be an integer"),
    ("coverage", "application/json", b'{"meta": {}, "totals": {"covered_lines": 1, '
     b'"num_statements": 2, "percent_covered": 90}}', "contradicts its counts"),
    ("coverage", "application/json", b'{"meta": {', "not valid JSON"),
    ("tests", "application/xml", b"<testsuites/>", "holds no <testcase>"),
    ("tests", "application/xml", b"<coverage/>", "not <testsuites> or <testsuite>"),
    ("tests", "application/xml", b'<testsuite tests="3"><testcase name="a"/></testsuite>',
     "says tests=3 but holds 1"),
    ("tests", "application/xml", b'<testsuite tests="1" failures="-1"><testcase name="a"/>'
     b'</testsuite>', "is negative"),
    ("tests", "application/xml", b'<testsuite time="NaN"><testcase name="a"/></testsuite>',
     "not a finite number"),
    ("tests", "application/xml", b'<testsuites><testsuite><testcase name="a">', "XML"),
    ("review", "application/json", b'{"change": "#42", "approved_by": []}',
     "at least one name"),
    ("review", "application/json", b'{"change": "#42", "approved_by": ["bob"], '
     b'"author": "Bob"}', "only the author"),
    ("review", "application/json", b'{"approved_by": ["alice"]}', "change must be"),
    ("review", "application/json", b'{"change": "#42", "approved_by": ["alice"], "x": 1}',
     "unknown field(s): x"),
    ("review", "application/json", b'["alice"]', "must be an object"),
]


@pytest.mark.parametrize(("kind", "content_type", "body", "message"), MALFORMED)
def test_a_malformed_report_is_a_400_that_says_why_and_stores_nothing(ci, kind,
                                                                       content_type, body,
                                                                       message):
    response = post(ci, kind, body, content_type)
    assert response.status_code == 400, response.content
    assert message in response.json()["detail"]
    assert counts() == (0, 0, 0)


def test_an_entity_bomb_is_refused_at_once(ci):
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE coverage [<!ENTITY lol0 "lol">{lol}]>'
            '<coverage line-rate="1" lines-covered="1" lines-valid="1">&lol9;</coverage>')
    started = time.monotonic()
    response = post(ci, "coverage", bomb, "application/xml")
    assert response.status_code == 400
    assert "DTD or entities" in response.json()["detail"]
    assert time.monotonic() - started < 2  # a billion "lol"s were never expanded
    external = ('<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                '<testsuite><testcase name="&x;"/></testsuite>')
    assert post(ci, "tests", external, "application/xml").status_code == 400
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(("commit", "message"), [
    (None, "the commit is missing"), ("", "the commit is missing"),
    ("abc12", "not a git SHA"), ("g" * 40, "not a git SHA"), ("a" * 41, "not a git SHA"),
    ("%20" + SHA, "not a git SHA"),
])
def test_a_missing_or_bad_commit_is_a_400(ci, ci_run, commit, message):
    response = post(ci, "coverage", ci_run["coverage.xml"], "application/xml", commit=commit)
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(("kind", "content_type"), [
    ("coverage", "text/plain"), ("coverage", "application/x-www-form-urlencoded"),
    ("tests", "application/json"), ("review", "application/xml"), ("coverage", ""),
])
def test_a_content_type_the_endpoint_does_not_take_is_a_415(ci, ci_run, kind, content_type):
    response = post(ci, kind, ci_run["junit.xml"], content_type)
    assert response.status_code == 415, response.content
    assert "Send the report as" in response.json()["detail"]
    assert counts() == (0, 0, 0)


def test_a_report_over_the_limit_is_a_413_before_it_is_parsed(ci, ci_run, settings):
    settings.EVIDENCE_MAX_BYTES = len(ci_run["coverage.xml"]) - 1
    response = post(ci, "coverage", ci_run["coverage.xml"], "application/xml")
    assert response.status_code == 413
    assert "EVIDENCE_MAX_BYTES" in response.json()["detail"]
    assert counts() == (0, 0, 0)
    settings.EVIDENCE_MAX_BYTES = len(ci_run["coverage.xml"])
    assert post(ci, "coverage", ci_run["coverage.xml"], "application/xml").status_code == 201


def test_a_body_without_content_length_is_cut_off_at_the_limit():
    import io

    stream = io.BytesIO(b"x" * 5000)
    with pytest.raises(EvidenceTooLarge):
        evidence_body_read(stream, declared=None, limit=4096)
    assert stream.tell() <= 4096 + 2**20  # read in chunks, stopped once over
    body = evidence_body_read(io.BytesIO(b"<a/>"), declared=None, limit=4096)
    assert (body.size, body.file.read()) == (4, b"<a/>")


def test_only_the_evidence_scope_posts_and_it_opens_nothing_else(make_token, ci_run):
    def client(scopes):
        c = APIClient()
        if scopes:
            c.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(scopes)}")
        return c

    for scopes, code in (("", 401), ("write", 403), ("read,write,ingest", 403)):
        response = post(client(scopes), "tests", ci_run["junit.xml"], "application/xml")
        assert response.status_code == code, (scopes, response.content)
        if code == 403:
            assert response.json()["detail"] == "This endpoint needs the 'evidence' scope."
    evidence = client("evidence")
    assert evidence.get("/api/v1/evidence/tests").status_code == 403
    assert evidence.get("/api/v1/incidents").status_code == 403
    assert evidence.post("/api/v1/events", {"events": []}, format="json").status_code == 403
    assert counts() == (0, 0, 0)
    assert client("read").get("/api/v1/evidence/tests").status_code == 200


def test_operators_post_through_their_session_viewers_do_not(operator, viewer, ci_run):
    for user, code in ((viewer, 403), (operator, 201)):
        session = APIClient()
        session.force_login(user)
        response = post(session, "coverage", ci_run["coverage.xml"], "application/xml")
        assert response.status_code == code, response.content
    assert CoverageReport.objects.get().posted_by == "user:operator"


def test_lists_are_newest_first_and_filter_by_commit(ci, ci_run, read_client):
    post(ci, "tests", ci_run["junit.xml"], "application/xml", commit=OTHER_SHA)
    post(ci, "tests", ci_run["junit.xml"], "application/xml")
    rows = read_client.get("/api/v1/evidence/tests").json()["results"]
    assert [r["commit"] for r in rows] == [SHA, OTHER_SHA]
    only = read_client.get(f"/api/v1/evidence/tests?commit={SHA[:8].upper()}").json()
    assert [r["commit"] for r in only["results"]] == [SHA]
    assert read_client.get("/api/v1/evidence/coverage?commit=xyz").status_code == 400
    assert read_client.get("/api/v1/evidence/review?commit=").status_code == 400
    assert read_client.get("/api/v1/evidence/review").json()["results"] == []


def test_the_admin_lists_evidence_with_its_drill_down(ci, ci_run, portal_admin):
    from django.test import Client

    cov = post(ci, "coverage", ci_run["coverage.xml"], "application/xml").json()
    junit = post(ci, "tests", ci_run["junit.xml"], "application/xml").json()
    post(ci, "review", json.dumps({"change": "#7", "approved_by": ["alice"]}),
         "application/json")
    admin = Client()
    admin.force_login(portal_admin)
    for page in ("coverage", "test"):
        response = admin.get(f"/admin/codescans/{page}report/?q={SHA[:8]}")
        assert response.status_code == 200 and SHA[:12] in response.content.decode()
    page = admin.get(f"/admin/codescans/coveragereport/{cov['id']}/change/").content.decode()
    assert "Least-covered files" in page and "calc.py" in page and "66.7%" in page
    page = admin.get(f"/admin/codescans/testreport/{junit['id']}/change/").content.decode()
    assert "test_calc::test_div_is_wrong" in page
    page = admin.get("/admin/codescans/codereview/").content.decode()
    assert "alice" in page
    assert admin.get("/admin/codescans/codereview/add/").status_code == 403
