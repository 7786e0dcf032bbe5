"""Admin of the bot's data stores: the registry, "Back up now" and "Restore drill now"."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction

from backups import selectors
from backups.models import DataStore
from backups.schedules import DATASTORE_SCHEDULE_DEFAULTS
from backups.services import datastore_delete, datastore_saved
from backups.tasks import datastore_backup_task, datastore_drill_task
from common.redaction import mask_url


class DataStoreForm(forms.ModelForm):
    """The URL is write-only: the form never renders it, and leaving it empty on a
    change keeps the stored one."""

    url = forms.CharField(required=False, max_length=500,
                          widget=forms.PasswordInput(render_value=False),
                          help_text="postgresql only: postgres://user:password@host:port/db. "
                                    "Never shown; leave empty to keep the stored URL.")
    schedule_seconds = forms.IntegerField(required=False, min_value=60,
                                          help_text="empty: 6 h for databases, 24 h for "
                                                    "folders")

    class Meta:
        model = DataStore
        fields = ["name", "kind", "url", "path", "schedule_seconds", "keep_last", "keep_days",
                  "owner", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._stored_url = self.instance.url if self.instance.pk else ""

    def clean_url(self):
        return self.cleaned_data.get("url") or self._stored_url

    def clean_schedule_seconds(self):
        return self.cleaned_data.get("schedule_seconds") or 0

    def _post_clean(self):
        # The model's clean() wants the default schedule filled in before validating.
        if not self.cleaned_data.get("schedule_seconds"):
            self.cleaned_data["schedule_seconds"] = DATASTORE_SCHEDULE_DEFAULTS.get(
                self.cleaned_data.get("kind", ""), 0)
        super()._post_clean()


@admin.register(DataStore)
class DataStoreAdmin(admin.ModelAdmin):
    form = DataStoreForm
    list_display = ["name", "kind", "target", "owner", "enabled", "schedule", "last_backup",
                    "last_drill"]
    list_filter = ["kind", "enabled", "owner"]
    search_fields = ["name", "path", "owner"]  # never url: an encrypted column
    readonly_fields = ["stored_url", "created_at", "updated_at", "last_backup", "last_drill"]
    actions = ["back_up_now", "drill_now"]

    @admin.display(description="target")
    def target(self, obj):
        return mask_url(obj.url) if obj.url else obj.path

    @admin.display(description="stored URL")
    def stored_url(self, obj):
        return mask_url(obj.url) if obj.url else "-"

    @admin.display(description="backup every")
    def schedule(self, obj):
        return f"{obj.schedule_seconds / 3600:g} h"

    @admin.display(description="last backup")
    def last_backup(self, obj):
        run = selectors.datastore_last_finished(datastore=obj)
        if run is None:
            return "-"
        return f"#{run.pk} {run.status} {run.finished_at:%Y-%m-%d %H:%M}" + (
            f": {run.error}" if run.error else "")

    @admin.display(description="last drill")
    def last_drill(self, obj):
        drill = selectors.datastore_last_drill(datastore=obj)
        if drill is None:
            return "-"
        rto = f" in {drill.duration_seconds:.1f} s" if drill.duration_seconds else ""
        return f"#{drill.pk} {drill.verdict}{rto}" + (f": {drill.reason}" if drill.reason
                                                     else "")

    def save_model(self, request, obj, form, change):
        datastore_saved(store=obj)  # saves, and creates or updates its schedules

    def delete_model(self, request, obj):
        datastore_delete(store=obj)

    def delete_queryset(self, request, queryset):
        for store in queryset:
            datastore_delete(store=store)

    @admin.action(description="Back up now")
    def back_up_now(self, request, queryset):
        names = list(queryset.filter(enabled=True).values_list("name", flat=True))
        for name in names:
            transaction.on_commit(lambda n=name: datastore_backup_task.delay(n, "admin"))
        self.message_user(request, f"{len(names)} backup(s) queued; see Backup runs.",
                          messages.SUCCESS)

    @admin.action(description="Restore drill now")
    def drill_now(self, request, queryset):
        names = list(queryset.filter(enabled=True).values_list("name", flat=True))
        for name in names:
            transaction.on_commit(lambda n=name: datastore_drill_task.delay(n, "admin"))
        self.message_user(request, f"{len(names)} restore drill(s) queued; see Restore "
                          "drills.", messages.SUCCESS)
