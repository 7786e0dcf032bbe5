"""Security scans run for real and are recorded as evidence."""

import pytest
from django.core.management import call_command

from accounts.models import ScanStatus, SecurityScan
from accounts.scans import security_scan_bandit, security_scan_dependencies

pytestmark = pytest.mark.django_db


def test_the_code_has_no_unjustified_bandit_finding():
    scan = security_scan_bandit()
    assert (scan.status, scan.findings) == (ScanStatus.CLEAN, 0), scan.output


def test_pip_audit_is_recorded_and_never_reads_clean_when_it_audited_nothing():
    scan = security_scan_dependencies()
    assert scan.status in (ScanStatus.CLEAN, ScanStatus.UNAVAILABLE), scan.output
    if scan.status == ScanStatus.CLEAN:
        assert "packages audited" in scan.summary
    else:  # this machine reaches no vulnerability service: said so, plainly
        assert "could not" in scan.summary or "audited nothing" in scan.summary


def test_the_command_reports_each_scanner_and_records_both(capsys):
    call_command("security_scan")
    out = capsys.readouterr().out
    assert "ruff-bandit: clean" in out and "pip-audit: " in out
    assert set(SecurityScan.objects.values_list("tool", flat=True)) == {"ruff-bandit",
                                                                          "pip-audit"}
