import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.services import roles_bootstrap
from alerting.services.alert_rules import alert_rules_bootstrap
from alerting.services.inbound import integrations_bootstrap
from backups.services import backups_bootstrap
from checklist.services import checklist_bootstrap
from codescans.services import codescans_bootstrap
from common.encryption import encrypted_fields_rotate
from common.scheduling import periodic_task_upsert
from monitoring.services.bootstrap import monitoring_bootstrap
from opsportal import minute


class Command(BaseCommand):
    help = ("Idempotent set-up: roles, schedules, alert rules, the launch checklist and "
            "success metrics, and optionally an admin user.")

    def add_arguments(self, parser):
        parser.add_argument("--admin-username", default=os.environ.get("ADMIN_USERNAME"))
        parser.add_argument("--admin-password", default=os.environ.get("ADMIN_PASSWORD"))

    def handle(self, *args, admin_username, admin_password, **options):
        with transaction.atomic():
            lines = [
                *roles_bootstrap(),
                *backups_bootstrap(),
                *codescans_bootstrap(),
                *monitoring_bootstrap(),
                *self._minute_loop(),
                *alert_rules_bootstrap(),
                *integrations_bootstrap(),
                *checklist_bootstrap(),
                *encrypted_fields_rotate(),
            ]
        for line in lines:
            self.stdout.write(f"  {line}")
        if admin_username:
            self.stdout.write(self._ensure_admin(admin_username, admin_password))
        self.stdout.write(self.style.SUCCESS("bootstrap complete"))

    def _minute_loop(self) -> list[str]:
        created = [s.name for s in minute.SCHEDULES if periodic_task_upsert(schedule=s)]
        return [f"minute loop schedule: {len(minute.SCHEDULES)} ({len(created)} new)"]

    def _ensure_admin(self, username: str, password: str | None) -> str:
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user and not password:
            return (f"admin user '{username}' exists; its password is unchanged "
                    f"(reset it with: python manage.py changepassword {username})")
        generated = not password
        password = password or secrets.token_urlsafe(12)
        if user is None:
            user = User(username=username)
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
        if generated:
            return (f"admin user '{username}' created with password: {password}\n"
                    f"  (shown once; change it with: python manage.py changepassword {username})")
        return f"admin user '{username}' ready (password as given)"
