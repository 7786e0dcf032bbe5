"""What a scan of the bot's repository measures, without Django: the walk, the
per-file syntax-tree analysis, and ruff's report split into lint and security.

Cost model (bench/bench_repo_scan.py): ruff parses every file, in native code and
in parallel; CPython's `ast` is ~10x slower than ruff's whole run, so sleep() calls
and store references are found by a lexer (codescans/lexer.py: one C-regex pass that
consumes comments and strings whole; tests hold it equal to `analyse_source_ast`, the
syntax-tree reference), and only in files whose bytes could hold them (the word
`sleep`, `://`, or a `.db`/`.sqlite` name). Unparsable files are those ruff calls
invalid and CPython's parser rejects too (its message is recorded).
"""

import ast
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from codescans.lexer import lex_source
from common.redaction import mask_url

VENDORED = frozenset({".venv", "venv", "node_modules", "site-packages", ".git", "__pycache__",
                      "build", "dist"})
SILENT_VENDORED = frozenset({".git", "__pycache__"})  # always there; not worth a line each
LONG_FILE_LINES = 1000
INVALID_SYNTAX = "invalid-syntax"

_CANDIDATE = re.compile(rb"sleep|://|\.(?:db|sqlite3?)\b")
_URL = re.compile(r"\b((?:postgres(?:ql)?|mysql|mariadb|sqlite|redis|rediss|mongodb"
                  r"(?:\+srv)?)(?:\+\w+)?)://[^\s'\"<>]*", re.IGNORECASE)
_FILE = re.compile(r"[\w./\\~{}-]*[\w}]\.(?:db|sqlite3?)\b", re.IGNORECASE)
_SECURITY_CODE = re.compile(r"S\d")  # flake8-bandit, not SIM or SLF
_KINDS = {"postgres": "postgresql", "rediss": "redis", "mariadb": "mysql"}

# ruff's flake8-bandit rules by bandit's own severity; any other S rule counts as medium.
SEVERITY_HIGH = frozenset({"S102", "S301", "S302", "S307", "S323", "S413", "S501", "S502",
                           "S503", "S504", "S506", "S507", "S508", "S509", "S602", "S605",
                           "S609", "S611", "S701", "S702", "S704"})
SEVERITY_LOW = frozenset({"S101", "S105", "S106", "S107", "S110", "S112", "S311", "S401",
                          "S402", "S403", "S404", "S405", "S406", "S407", "S408", "S409",
                          "S410", "S411", "S412", "S415", "S603", "S607"})


def severity(code: str) -> str:
    if code in SEVERITY_HIGH:
        return "high"
    return "low" if code in SEVERITY_LOW else "medium"


@dataclass
class FileFacts:
    path: str  # relative to the repository, "/"-separated
    lines: int
    data: bytes


@dataclass
class Tree:
    """The walk's result: the Python files to analyse and what was left out (and why)."""

    files: list[FileFacts] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def walk(root: Path, *, max_bytes: int, progress=None) -> Tree:
    """Every .py file under `root`, read once. Symlinks are never followed: one out of
    the tree is reported, one inside it is left to its target (counted once, there)."""
    tree = Tree()
    real_root = os.path.realpath(root)

    def skip(rel: str, reason: str) -> None:
        tree.skipped.append({"path": rel, "reason": reason})

    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = os.path.relpath(dirpath, root)
        prefix = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
        kept = []
        for name in sorted(dirnames):
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                if not _inside(os.path.realpath(full), real_root):
                    skip(prefix + name + "/", "symlink out of the tree (not followed)")
            elif name in VENDORED:
                if name not in SILENT_VENDORED:
                    skip(prefix + name + "/", "vendored folder")
            else:
                kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            full, rel = os.path.join(dirpath, name), prefix + name
            if os.path.islink(full):
                if not _inside(os.path.realpath(full), real_root):
                    skip(rel, "symlink out of the tree (not followed)")
                continue
            try:
                size = os.lstat(full).st_size
                if size > max_bytes:
                    skip(rel, f"too large ({size} bytes > {max_bytes})")
                    continue
                with open(full, "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                skip(rel, f"unreadable: {exc.strerror or exc}")
                continue
            if b"\0" in data:
                skip(rel, "binary (NUL bytes)")
                continue
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                skip(rel, f"not UTF-8 (byte {exc.start})")
                continue
            lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
            tree.files.append(FileFacts(path=rel, lines=lines, data=data))
            if progress and len(tree.files) % 500 == 0:
                progress(len(tree.files))
    if progress:
        progress(len(tree.files))
    return tree


def is_test_path(path: str) -> bool:
    """Test code (a tests/ or test/ folder, test_*.py, *_test.py, conftest.py): the data
    stores it names are fixtures, not the bot's databases."""
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else ""
    return (any(p in ("tests", "test") for p in parts[:-1]) or name == "conftest.py"
            or (name.startswith("test_") and name.endswith(".py")) or name.endswith("_test.py"))


def _sleep_name(func: ast.expr, sleep_aliases: set[str]) -> bool:
    if isinstance(func, ast.Attribute):
        return func.attr == "sleep"
    return isinstance(func, ast.Name) and func.id in sleep_aliases


def _store(text: str) -> list[tuple[str, str]]:
    found = []
    for match in _URL.finditer(text):
        scheme = match.group(1).lower().split("+")[0]
        found.append((_KINDS.get(scheme, scheme), mask_url(match.group(0))))
    if not found:
        for match in _FILE.finditer(text):
            found.append(("sqlite file", match.group(0)))
    return found


@dataclass
class SourceFacts:
    sleep_calls: int = 0
    stores: list[tuple[str, str, int]] = field(default_factory=list)  # kind, ref, line
    error: str = ""


def needs_tree(data: bytes) -> bool:
    return _CANDIDATE.search(data) is not None


def analyse_source(data: bytes) -> SourceFacts:
    """sleep() calls and data-store references in string literals, by the lexer."""
    calls, stores = lex_source(data.decode("utf-8", errors="replace"), _store)
    return SourceFacts(sleep_calls=calls, stores=stores)


def syntax_error(data: bytes) -> str:
    """CPython's verdict on a file: empty if it parses, else where and why not."""
    try:
        ast.parse(data)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        return f"line {line}: {getattr(exc, 'msg', exc)}" if line else str(exc)
    return ""


def analyse_source_ast(data: bytes) -> SourceFacts:
    """The reference for `analyse_source`: the same answers on CPython's syntax tree."""
    facts = SourceFacts()
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        facts.error = syntax_error(data)
        return facts
    nodes = list(ast.walk(tree))
    aliases = {alias.asname or alias.name for node in nodes if isinstance(node, ast.ImportFrom)
               for alias in node.names if alias.name == "sleep"}
    in_fstrings = {id(part) for node in nodes if isinstance(node, ast.JoinedStr)
                   for part in node.values}
    for node in nodes:
        if isinstance(node, ast.Call):
            facts.sleep_calls += _sleep_name(node.func, aliases)
            continue
        if isinstance(node, ast.JoinedStr):  # f"/data/{name}.db" reads "/data/{}.db"
            text = "".join(p.value if isinstance(p, ast.Constant) else "{}"
                           for p in node.values)
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in in_fstrings):
            text = node.value
        else:
            continue
        if "://" in text or "." in text:
            facts.stores.extend((kind, ref, node.lineno) for kind, ref in _store(text))
    return facts


def split_ruff(findings: list[dict], root: Path) -> tuple[Counter, Counter, set[str]]:
    """ruff's JSON -> (lint count by rule, security count by severity, invalid files)."""
    lint: Counter = Counter()
    security: Counter = Counter()
    invalid: set[str] = set()
    real_root = os.path.realpath(root)
    for finding in findings:
        code = finding.get("code") or INVALID_SYNTAX
        if code == INVALID_SYNTAX:
            invalid.add(os.path.relpath(finding["filename"], real_root).replace(os.sep, "/"))
        elif _SECURITY_CODE.match(code):
            security[severity(code)] += 1
        else:
            lint[code] += 1
    return lint, security, invalid
