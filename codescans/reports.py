"""The bot's CI reports, read without Django: Cobertura XML and coverage.py JSON
(coverage), JUnit XML (tests). Each parser returns the numbers or raises
ReportError naming what is wrong; the caller stores nothing then.

XML is read by defusedxml with DTDs refused outright: a report needs none, and a
DOCTYPE is where entity bombs ("billion laughs") and external entities live, so
the refusal comes at the declaration, before anything is expanded. Reports are
read as a stream (iterparse) and each element dropped once counted, so a large
report costs its counts, not its tree.
"""

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

LOWEST_FILES = 10  # the drill-down keeps this many least-covered files
MAX_FAILED_IDS = 100  # and this many failed test ids
# Cobertura rounds rates to 4 decimals (coverage.py does); a rate further than this
# from its own counts contradicts them.
RATE_TOLERANCE = 0.0001
PERCENT_TOLERANCE = 0.01
_COMMIT = re.compile(r"[0-9a-f]{7,40}|[0-9a-f]{64}")


class ReportError(ValueError):
    """The report (or its commit) is malformed; the message says what is wrong."""


def commit_clean(value: str | None) -> str:
    """The commit as stored: 7-40 (or 64) hex characters, lowercased."""
    if value is None or value == "":
        raise ReportError("the commit is missing: add ?commit=<the git SHA the report is for>")
    commit = value.lower()
    if not _COMMIT.fullmatch(commit):
        raise ReportError(f"commit {value[:80]!r} is not a git SHA: 7 to 40 (or 64) hex "
                          "characters")
    return commit


@dataclass
class CoverageFacts:
    line_rate: float
    lines_covered: int
    lines_valid: int
    branch_rate: float | None
    files: int
    lowest_files: list[dict] = field(default_factory=list)  # [{path, line_rate, missing}]


@dataclass
class TestFacts:
    tests: int
    failures: int
    errors: int
    skipped: int
    duration_seconds: float
    suites: int
    failed_ids: list[str] = field(default_factory=list)
    failed_total: int = 0


def _lowest(per_file: dict[str, tuple[int, int]]) -> list[dict]:
    """The least-covered files (most missed lines first among equals)."""
    ranked = sorted(per_file.items(), key=lambda kv: (
        kv[1][0] / kv[1][1] if kv[1][1] else 1.0, kv[1][0] - kv[1][1], kv[0]))
    return [{"path": path, "line_rate": round(covered / valid, 4) if valid else 1.0,
             "missing": valid - covered}
            for path, (covered, valid) in ranked[:LOWEST_FILES]]


# --- XML ----------------------------------------------------------------------------

def _events(stream: IO[bytes]) -> Iterator[tuple[str, Element]]:
    try:
        yield from iterparse(stream, events=("start", "end"), forbid_dtd=True,
                             forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ReportError(f"the XML declares a DTD or entities, which a report never needs "
                          f"and which are refused ({type(exc).__name__})") from None
    except ParseError as exc:
        raise ReportError(f"the body is not well-formed XML: {exc}") from None


def _number(element: Element, name: str, kind: type, *, where: str,
            required: bool = False) -> Any:
    raw = element.get(name)
    if raw is None:
        if required:
            raise ReportError(f"{where} has no {name} attribute")
        return None
    try:
        value = kind(raw.strip())
    except ValueError:
        raise ReportError(f"{where} {name}={raw[:40]!r} is not a number") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ReportError(f"{where} {name}={raw[:40]!r} is not a finite number")
    if value < 0:
        raise ReportError(f"{where} {name}={raw[:40]!r} is negative")
    return value


def _rate(element: Element, name: str, *, where: str) -> float | None:
    value = _number(element, name, float, where=where)
    if value is not None and value > 1:
        raise ReportError(f"{where} {name}={value} is not between 0 and 1")
    return value


def _root(events: Iterator[tuple[str, Element]], expected: tuple[str, ...]) -> Element:
    try:
        _, root = next(events)
    except StopIteration:
        raise ReportError("the body is empty") from None
    if root.tag not in expected:
        names = " or ".join(f"<{t}>" for t in expected)
        raise ReportError(f"the root element is <{root.tag[:60]}>, not {names}")
    return root


def cobertura_parse(stream: IO[bytes]) -> CoverageFacts:
    """A Cobertura report (coverage.py's `coverage xml`): its totals, its files."""
    events = _events(stream)
    root = _root(events, ("coverage",))
    per_file: dict[str, list[int]] = {}
    counted = [0, 0]  # covered, valid: from the <line> elements
    current: list[int] | None = None
    for event, element in events:
        if event == "start" and element.tag == "class":
            filename = element.get("filename") or element.get("name") or "?"
            current = per_file.setdefault(filename, [0, 0])
        elif event == "end" and element.tag == "line":
            hits = _number(element, "hits", int, where="a <line>", required=True)
            _number(element, "number", int, where="a <line>", required=True)
            counted[0] += hits > 0
            counted[1] += 1
            if current is not None:
                current[0] += hits > 0
                current[1] += 1
            element.clear()
        elif event == "end" and element.tag == "class":
            current = None
            element.clear()
    where = "<coverage>"
    covered = _number(root, "lines-covered", int, where=where)
    valid = _number(root, "lines-valid", int, where=where)
    if (covered is None) != (valid is None):
        raise ReportError(f"{where} gives only one of lines-covered and lines-valid")
    if covered is None:
        covered, valid = counted
    if covered > valid:
        raise ReportError(f"{where} lines-covered={covered} exceeds lines-valid={valid}")
    if valid == 0:
        raise ReportError(f"{where} measures no lines (lines-valid is 0): was coverage run "
                          "on the bot's code?")
    line_rate = _rate(root, "line-rate", where=where)
    if line_rate is None:
        line_rate = covered / valid
    elif abs(line_rate - covered / valid) > RATE_TOLERANCE:
        raise ReportError(f"{where} line-rate={line_rate} contradicts lines-covered/"
                          f"lines-valid={covered}/{valid}")
    branch_rate = _rate(root, "branch-rate", where=where)
    if _number(root, "branches-valid", int, where=where) == 0:
        branch_rate = None  # branches were not measured: coverage.py writes 0 anyway
    return CoverageFacts(line_rate=line_rate, lines_covered=covered, lines_valid=valid,
                         branch_rate=branch_rate, files=len(per_file),
                         lowest_files=_lowest({p: (c, v) for p, (c, v) in per_file.items()}))


@dataclass
class _Suite:
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0


_COUNTS = ("tests", "failures", "errors", "skipped")


def _check_counts(element: Element, counted: _Suite, where: str) -> None:
    """A suite's own counts, where given, must be those of the test cases it holds."""
    for name in _COUNTS:
        declared = _number(element, name, int, where=where)
        if declared is not None and declared != getattr(counted, name):
            raise ReportError(f"{where} says {name}={declared} but holds "
                              f"{getattr(counted, name)}")


def junit_parse(stream: IO[bytes]) -> TestFacts:
    """A JUnit report (pytest's --junitxml): its counts, cross-checked with its cases."""
    events = _events(stream)
    root = _root(events, ("testsuites", "testsuite"))
    stack: list[_Suite] = []
    total, suites, duration = _Suite(), 0, 0.0
    failed: list[str] = []
    failed_total = 0
    case_outcome: set[str] = set()
    if root.tag == "testsuite":  # its start was the root's, read above
        stack.append(_Suite())
    for event, element in events:
        tag = element.tag
        if event == "start":
            if tag == "testsuite":
                stack.append(_Suite())
            elif tag == "testcase":
                case_outcome = set()
            continue
        if tag in ("failure", "error", "skipped"):
            case_outcome.add(tag)
        elif tag == "testcase":
            if not stack:
                raise ReportError("a <testcase> outside any <testsuite>")
            suite = stack[-1]
            suite.tests += 1
            suite.failures += "failure" in case_outcome
            suite.errors += "error" in case_outcome
            suite.skipped += "skipped" in case_outcome
            if case_outcome & {"failure", "error"}:
                failed_total += 1
                if len(failed) < MAX_FAILED_IDS:
                    classname, name = element.get("classname", ""), element.get("name", "?")
                    failed.append(f"{classname}::{name}"[:300] if classname else name[:300])
            _number(element, "time", float, where=f"<testcase name={element.get('name')!r}>")
            element.clear()
        elif tag == "testsuite":
            suite = stack.pop()
            where = f"<testsuite name={(element.get('name') or '')[:60]!r}>"
            _check_counts(element, suite, where)
            time = _number(element, "time", float, where=where)
            if stack:  # nested: its cases count in the suite holding it too
                for name in _COUNTS:
                    setattr(stack[-1], name, getattr(stack[-1], name) + getattr(suite, name))
            else:
                suites += 1
                duration += time or 0.0
                for name in _COUNTS:
                    setattr(total, name, getattr(total, name) + getattr(suite, name))
            if element is not root:
                element.clear()
    if root.tag == "testsuites":
        _check_counts(root, total, "<testsuites>")
        root_time = _number(root, "time", float, where="<testsuites>")
        duration = root_time if root_time is not None else duration
    if total.tests == 0:
        raise ReportError("the report holds no <testcase>: did the test run collect nothing?")
    return TestFacts(tests=total.tests, failures=total.failures, errors=total.errors,
                     skipped=total.skipped, duration_seconds=duration, suites=suites,
                     failed_ids=failed, failed_total=failed_total)


# --- coverage.py JSON ------------------------------------------------------------------

def _refuse_constant(name: str) -> float:
    raise ReportError(f"the JSON holds {name}, which is not a number")


def _count(summary: dict, name: str, where: str, *, required: bool = True) -> int | None:
    value = summary.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ReportError(f"{where}.{name} must be an integer, not {json.dumps(value)[:40]}")
    if value < 0:
        raise ReportError(f"{where}.{name}={value} is negative")
    return value


def _summary_counts(summary: Any, where: str) -> tuple[int, int, int | None, int | None]:
    if not isinstance(summary, dict):
        raise ReportError(f"{where} must be an object")
    covered = _count(summary, "covered_lines", where)
    statements = _count(summary, "num_statements", where)
    assert covered is not None and statements is not None  # noqa: S101  (required above)
    if covered > statements:
        raise ReportError(f"{where}.covered_lines={covered} exceeds "
                          f"num_statements={statements}")
    branches = _count(summary, "num_branches", where, required=False)
    covered_branches = _count(summary, "covered_branches", where, required=False)
    if branches is not None and covered_branches is not None and covered_branches > branches:
        raise ReportError(f"{where}.covered_branches={covered_branches} exceeds "
                          f"num_branches={branches}")
    return covered, statements, branches, covered_branches


def json_load(data: bytes) -> Any:
    """The JSON body; NaN and Infinity (which Python's json takes) are refused."""
    try:
        return json.loads(data, parse_constant=_refuse_constant)
    except ReportError:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReportError(f"the body is not valid JSON: {exc}") from None


def coverage_json_parse(data: bytes) -> CoverageFacts:
    """coverage.py's `coverage json` report: `meta`, `totals` and (optionally) `files`."""
    if not data.strip():
        raise ReportError("the body is empty")
    body = json_load(data)
    if not isinstance(body, dict) or not isinstance(body.get("meta"), dict):
        raise ReportError("not a coverage.py JSON report: it needs a `meta` object "
                          "(from `coverage json`)")
    if "totals" not in body:
        raise ReportError("the report has no `totals`")
    totals = body["totals"]
    covered, statements, branches, covered_branches = _summary_counts(totals, "totals")
    percent = totals.get("percent_covered")
    if not isinstance(percent, int | float) or isinstance(percent, bool):
        raise ReportError(f"totals.percent_covered must be a number, not "
                          f"{json.dumps(percent)[:40]}")
    if not 0 <= percent <= 100:
        raise ReportError(f"totals.percent_covered={percent} is not between 0 and 100")
    if statements == 0:
        raise ReportError("totals.num_statements is 0: the report measures no lines; was "
                          "coverage run on the bot's code?")
    measured, hit = statements, covered
    if branches is not None and covered_branches is not None:  # percent counts branches too
        measured, hit = statements + branches, covered + covered_branches
    if abs(percent - 100 * hit / measured) > PERCENT_TOLERANCE:
        raise ReportError(f"totals.percent_covered={percent} contradicts its counts "
                          f"({hit} of {measured})")
    files = body.get("files", {})
    if not isinstance(files, dict):
        raise ReportError("`files` must be an object keyed by path")
    per_file = {}
    for path, facts in files.items():
        if not isinstance(facts, dict):
            raise ReportError(f"files[{path[:80]!r}] must be an object")
        c, s, _, _ = _summary_counts(facts.get("summary"), f"files[{path[:80]!r}].summary")
        per_file[path] = (c, s)
    branch_rate = covered_branches / branches if branches and covered_branches is not None \
        else None
    return CoverageFacts(line_rate=covered / statements, lines_covered=covered,
                         lines_valid=statements, branch_rate=branch_rate, files=len(per_file),
                         lowest_files=_lowest(per_file))
