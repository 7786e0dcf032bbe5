import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

pytestmark = pytest.mark.django_db


def run_bootstrap(*args):
    out = io.StringIO()
    call_command("bootstrap", *args, stdout=out)
    return out.getvalue()


def test_bootstrap_is_idempotent_and_creates_the_roles_and_schedules():
    run_bootstrap()
    counts = (Group.objects.count(), PeriodicTask.objects.count())
    run_bootstrap()
    assert (Group.objects.count(), PeriodicTask.objects.count()) == counts
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "Viewer", "Operator", "Incident Commander", "Admin"}
    viewer = Group.objects.get(name="Viewer")
    assert viewer.permissions.exists()
    assert not viewer.permissions.exclude(codename__startswith="view_").exists()


def test_bootstrap_keeps_an_operators_schedule_toggle():
    run_bootstrap()
    PeriodicTask.objects.filter(name="scheduler heartbeat").update(enabled=False)
    run_bootstrap()
    assert PeriodicTask.objects.get(name="scheduler heartbeat").enabled is False


def test_bootstrap_creates_an_admin_with_a_generated_password_shown_once():
    out = run_bootstrap("--admin-username", "root")
    password = out.split("created with password: ")[1].split()[0]
    user = User.objects.get(username="root")
    assert user.is_superuser and user.check_password(password)
    again = run_bootstrap("--admin-username", "root")
    assert "password is unchanged" in again and password not in again
    run_bootstrap("--admin-username", "root", "--admin-password", "given-pass-123")
    user.refresh_from_db()
    assert user.check_password("given-pass-123")
