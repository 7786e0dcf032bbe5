"""Axes' access attempts in the admin, with an action that lifts a lockout."""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages

from accounts.lockout import login_lockout_reset


class LockoutAccessAttemptAdmin(AccessAttemptAdmin):
    actions = ["unlock", *AccessAttemptAdmin.actions]
    show_full_result_count = False

    @admin.action(description="Unlock: reset the failures of these users and addresses",
                  permissions=["delete"])
    def unlock(self, request, queryset):
        count = login_lockout_reset(attempts=list(queryset))
        self.message_user(request, f"Lockout lifted: {count} attempt record(s) reset.",
                          messages.SUCCESS)


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, LockoutAccessAttemptAdmin)
