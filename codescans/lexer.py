"""sleep() calls and store references by a lexer, not a syntax tree.

One regex (C speed in sre) matches every comment and string literal, escapes
handled: the code with those replaced by `""` is searched for `.sleep(` calls and
for `from ... import sleep [as x]` and calls of those names, and only the string
literals are searched for store references. What is counted matches
`analysis.analyse_source_ast` (CPython's syntax tree, the reference: tests/codescans
hold the two equal) at a fraction of its cost: CPython's `ast` alone is ~10x slower
than ruff's whole run (bench_repo_scan.py).
"""

import re
from collections.abc import Callable

_PREFIX = frozenset("rRbBuUfF")
# Comments, then triple- and single-quoted strings; each loop unrolled.
_TOKEN = re.compile(
    r"#[^\n]*"
    r"|'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*(?:'''|$)"
    r'|"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*(?:"""|$)'
    r"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'?"
    r'|"[^"\\\n]*(?:\\.[^"\\\n]*)*"?', re.DOTALL)
_STORE_HINT = re.compile(r"://|\.(?:db|sqlite3?)\b")
_ATTR_CALL = re.compile(r"\.\s*sleep\s*\(")
_IMPORT = re.compile(r"^[ \t]*from[ \t]+[\w.]+[ \t]+import[ \t]+(\([^)]*\)|[^\n;]*)",
                     re.MULTILINE)
_ALIAS = re.compile(r"\bsleep\b(?:\s+as\s+(\w+))?")
_FSTRING_FIELD = re.compile(r"\{[^{}]*\}")
_DEF = re.compile(r"(?:\bdef|\bclass)\s+$")

Store = Callable[[str], list[tuple[str, str]]]


def _strings(text: str) -> list[tuple[int, str, str]]:
    """[(start, prefix, body)] of the string literals that could name a store."""
    found = []
    for m in _TOKEN.finditer(text):
        token = m.group()
        if token[0] == "#" or not _STORE_HINT.search(token):
            continue
        i = start = m.start()
        while start > 0 and text[start - 1] in _PREFIX and i - start < 2:
            start -= 1
        quote = 3 if token[:3] in ("'''", '"""') else 1
        body = token[quote:]
        if len(body) >= quote and body.endswith(token[0] * quote):
            body = body[:-quote]
        found.append((start, text[start:i].lower(), body))
    return found


def _name_calls(code: str, names: set[str]) -> int:
    count = 0
    for name in names:
        for m in re.finditer(rf"(?<![\w.]){re.escape(name)}\s*\(", code):
            if not _DEF.search(code, max(0, m.start() - 12), m.start()):
                count += 1
    return count


def lex_source(text: str, store: Store) -> tuple[int, list[tuple[str, str, int]]]:
    """(sleep() calls, [(kind, ref, line)]) of one file's text; `store` finds references."""
    calls = 0
    if "sleep" in text:
        code = _TOKEN.sub('""', text)
        calls = len(_ATTR_CALL.findall(code))
        aliases = {a.group(1) or "sleep" for m in _IMPORT.finditer(code) if "sleep" in m.group(1)
                   for a in _ALIAS.finditer(m.group(1))}
        calls += _name_calls(code, aliases) if aliases else 0
    stores: list[tuple[str, str, int]] = []
    for start, prefix, body in _strings(text) if _STORE_HINT.search(text) else ():
        found = store(_FSTRING_FIELD.sub("{}", body) if "f" in prefix else body)
        if found:
            line = text.count("\n", 0, start) + 1
            stores.extend((kind, ref, line) for kind, ref in found)
    return calls, stores
