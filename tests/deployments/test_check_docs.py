"""`manage.py check_docs` on a real MkDocs build: pages, titles, links, the API examples."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from checklist.verifiers import REGISTRY
from deployments.models import DocsCheckRun

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    site = tmp_path_factory.mktemp("docs") / "site"
    subprocess.run([str(Path(sys.executable).with_name("mkdocs")), "build", "--strict", "-q",
                    "-d", str(site)], cwd=ROOT, check=True, capture_output=True, timeout=120)
    return site


@pytest.fixture
def site(built, tmp_path, settings):
    copy = tmp_path / "site"
    shutil.copytree(built, copy)
    settings.DOCS_SITE_DIR = str(copy)
    return copy


def check(*args):
    try:
        call_command("check_docs", *args)
    except SystemExit as exc:
        return exc.code
    return 0


def results(run):
    return {r["name"]: r for r in run.results}


def test_a_real_build_passes_its_pages_and_links_and_is_recorded(site, capsys):
    assert check("--no-api-examples") == 0
    run = DocsCheckRun.objects.get()
    got = results(run)
    assert got["page runbook"]["status"] == "pass"
    assert got["page api-reference"]["detail"] == "api-reference/index.html: API reference - " \
        "opsportal"
    assert got["internal links"]["status"] == "pass"
    assert got["api examples"]["status"] == "skip"
    # Without the examples' result the API reference is not "published".
    passed, detail, _ = REGISTRY["docs_api_reference"](timezone.now())
    assert not passed and "api examples: never run (manage.py check_docs)" in detail
    assert REGISTRY["docs_runbook"](timezone.now())[0] is True


def test_a_page_not_built_fails_its_item_and_every_link_to_it(site, capsys):
    (site / "runbook" / "index.html").unlink()
    assert check("--no-api-examples") == 1
    got = results(DocsCheckRun.objects.get())
    assert got["page runbook"]["detail"] == "runbook/index.html not built"
    assert "→ ../runbook/" in got["internal links"]["detail"]
    passed, detail, _ = REGISTRY["docs_runbook"](timezone.now())
    assert not passed and "page runbook: runbook/index.html not built" in detail


def test_a_wrong_title_and_a_broken_link_fail(site, capsys):
    guide = site / "user-guide" / "index.html"
    guide.write_text(guide.read_text().replace("<title>User guide - opsportal</title>",
                                               "<title>Untitled</title>")
                     .replace("</body>", '<a href="../no-such-page/">x</a></body>'))
    assert check("--no-api-examples") == 1
    assert "check_docs FAILED: page user-guide, internal links" in capsys.readouterr().err
    got = results(DocsCheckRun.objects.get())
    assert "<title> is 'Untitled', not 'User guide'" in got["page user-guide"]["detail"]
    assert "user-guide/index.html → ../no-such-page/" in got["internal links"]["detail"]
    assert got["internal links"]["detail"].startswith("1 broken: ")
    for key in ["docs_built", "docs_user_guide"]:
        assert REGISTRY[key](timezone.now())[0] is False, key


@pytest.mark.slow
def test_the_api_examples_run_for_real_and_tick_the_api_reference(site, capsys):
    assert check() == 0, capsys.readouterr()
    examples = results(DocsCheckRun.objects.get())["api examples"]
    assert examples["status"] == "pass" and "passed" in examples["detail"]
    passed, detail, run = REGISTRY["docs_api_reference"](timezone.now())
    assert passed, detail
    assert run == DocsCheckRun.objects.get()
    assert REGISTRY["docs_built"](timezone.now())[0] is True
