"""What `manage.py check_docs` checks: the built documentation site and the API examples.

Bounded and honest about what it covers (docs/launch.md):
- every page in mkdocs.yml's nav exists in the built site (DOCS_SITE_DIR) as HTML
  whose <title> names it;
- no link between built pages points at a page or file that is not there;
- the API reference's examples pass: tests/docs/test_api_reference.py run in a
  subprocess against a throwaway SQLite test database (never the portal's own).
  Where the harness is not shipped (the runtime image) this check says so and fails.
"""

import os
import re
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml
from django.conf import settings

from deployments.models import CheckStatus
from deployments.services import CheckResult, check_run

PASS, FAIL, SKIP = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.SKIP
HARNESS = Path("tests") / "docs" / "test_api_reference.py"


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.title, self.links, self._in_title = "", [], False

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self._in_title = True
        href = dict(attrs).get("href") if tag in ("a", "link") else None
        if href:
            self.links.append(href)

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(errors="replace"))
    return page


def nav_pages(config: dict) -> list[tuple[str, str]]:
    """(title, source.md) for every page of the nav, in order (sections flattened)."""
    out: list[tuple[str, str]] = []

    def walk(items):
        for entry in items or []:
            if isinstance(entry, dict):
                for title, value in entry.items():
                    if isinstance(value, list):
                        walk(value)
                    elif isinstance(value, str) and not re.match(r"\w+://", value):
                        out.append((title, value))
            elif isinstance(entry, str):
                out.append((Path(entry).stem, entry))

    walk(config.get("nav"))
    return out


def built_path(source: str, *, directory_urls: bool = True) -> str:
    """The HTML file MkDocs builds for `source` (use_directory_urls as configured)."""
    stem = source[:-3] if source.endswith(".md") else source
    if Path(stem).name in ("index", "README"):
        return str(Path(stem).parent / "index.html").lstrip("./") or "index.html"
    return f"{stem}/index.html" if directory_urls else f"{stem}.html"


def page_checks(*, site: Path, config_path: Path) -> list[tuple[str, object]]:
    """One check per nav page: built, with its title in <title>."""
    config = yaml.safe_load(config_path.read_text())
    site_name = config.get("site_name", "")
    directory_urls = config.get("use_directory_urls", True)
    checks = []
    for title, source in nav_pages(config):
        path = built_path(source, directory_urls=directory_urls)

        def check(path=path, title=title):
            file = site / path
            if not file.is_file():
                return FAIL, f"{path} not built"
            got = " ".join(_parse(file).title.split())
            # MkDocs titles a page "<page> - <site>", the home page "<site>" alone.
            if title not in got and not (path == "index.html" and got == site_name):
                return FAIL, f"{path}: <title> is {got!r}, not {title!r}"
            return PASS, f"{path}: {got}"

        checks.append((f"page {source[:-3] if source.endswith('.md') else source}", check))
    return checks


def links_check(site: Path) -> tuple[str, str]:
    """Every relative href between built pages resolves to a built file."""
    broken, pages = [], sorted(site.rglob("*.html"))
    for page in pages:
        for href in _parse(page).links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("#", "/", "mailto:")):
                continue  # external, in-page, or absolute (served outside /docs/)
            target = (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            entry = f"{page.relative_to(site)} → {href}"
            if not target.exists() and entry not in broken:
                broken.append(entry)
    if broken:
        more = f" and {len(broken) - 3} more" if len(broken) > 3 else ""
        return FAIL, f"{len(broken)} broken: {'; '.join(broken[:3])}{more}"
    return PASS, f"{len(pages)} pages, every internal link resolves"


def api_examples_check(*, root: Path, timeout: float) -> tuple[str, str]:
    """Run the examples harness; its pytest summary line is the detail."""
    if not (root / HARNESS).is_file():
        return FAIL, f"{HARNESS} is not here: run check_docs in a checkout with the tests"
    scratch = tempfile.TemporaryDirectory(prefix="opsportal-docs-check-")
    # A throwaway SQLite database of its own: never the portal's, never a test run's.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DATABASE_URL"] = f"sqlite:///{scratch.name}/portal.sqlite3"
    env["TEST_DATABASE_FILE"] = f"{scratch.name}/test.sqlite3"
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    try:
        result = subprocess.run(  # noqa: S603 (our interpreter, a fixed argv)
            [sys.executable, "-m", "pytest", str(HARNESS), "-q", "-p", "no:cacheprovider",
             "-p", "no:randomly", "--no-header"],
            cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return FAIL, f"the examples did not finish within {timeout:g} s"
    finally:
        scratch.cleanup()
    lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
    summary = next((ln.strip("= ") for ln in reversed(lines)
                    if re.search(r"\d+ (passed|failed|error)", ln)), "no pytest summary")
    if result.returncode != 0:
        failed = [ln for ln in lines if ln.startswith(("FAILED", "ERROR"))]
        return FAIL, f"{summary}: {failed[0] if failed else result.stderr.strip()[-200:]}"
    return PASS, summary


def docs_site_checks(*, site: Path | None = None,
                     config_path: Path | None = None) -> list[CheckResult]:
    """The built site's checks (pages with their titles, internal links): cheap, run live."""
    site = Path(site or settings.DOCS_SITE_DIR)
    config_path = Path(config_path or settings.DOCS_CONFIG_FILE)
    if not config_path.is_file():
        return [CheckResult("nav", FAIL, f"{config_path} not found: cannot tell which pages "
                                         f"should be built")]
    if not site.is_dir():
        return [CheckResult("site", FAIL, f"no built site at {site} (make docs)")]
    results = [check_run(name, fn) for name, fn in page_checks(site=site,
                                                               config_path=config_path)]
    results.append(check_run("internal links", lambda: links_check(site)))
    return results


def docs_run_checks(*, api_examples: bool = True) -> list[CheckResult]:
    results = docs_site_checks()
    if api_examples:
        root = Path(settings.BASE_DIR)
        results.append(check_run("api examples", lambda: api_examples_check(
            root=root, timeout=settings.DOCS_CHECK_TIMEOUT_SECONDS)))
    else:
        results.append(CheckResult("api examples", SKIP, "not run (--no-api-examples)"))
    return results
