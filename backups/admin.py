from django.contrib import admin, messages
from django.db import transaction

from backups import (
    admin_datastores,  # noqa: F401  (registers DataStoreAdmin)
    selectors,
)
from backups.models import (
    BackupKind,
    BackupPolicy,
    BackupRun,
    BackupRunEvent,
    RestoreDrill,
    RestoreDrillEvent,
)
from backups.services import backup_run_create, backup_runs_prune
from backups.services.common import human_size
from backups.tasks import backup_run_execute_task, restore_drill_task


class BackupRunEventInline(admin.TabularInline):
    model = BackupRunEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "from_status", "to_status", "note"]

    def has_add_permission(self, request, obj=None):
        return False


def _enqueue_drills(modeladmin, request, run_ids):
    for run_id in run_ids:
        transaction.on_commit(lambda pk=run_id: restore_drill_task.delay(run_id=pk,
                                                                         trigger="admin"))
    modeladmin.message_user(request, f"{len(run_ids)} restore drill(s) queued; results appear "
                            "under Restore drills.", messages.SUCCESS)


@admin.register(BackupRun)
class BackupRunAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "datastore_name", "status", "trigger", "created_at", "size",
                    "duration", "encrypted", "pruned_at"]
    list_filter = ["kind", "status", "datastore_name", "encrypted", "trigger"]
    search_fields = ["storage_name", "sha256", "error", "datastore_name"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = [BackupRunEventInline]
    readonly_fields = ["kind", "datastore", "datastore_name", "status", "trigger", "created_at",
                       "started_at", "finished_at",
                       "size", "duration", "size_bytes", "sha256", "encrypted", "storage_name",
                       "error", "manifest", "host", "pid", "heartbeat_at", "pruned_at"]
    actions = ["drill_selected"]

    @admin.display(description="size", ordering="size_bytes")
    def size(self, obj):
        return human_size(obj.size_bytes)

    @admin.display(description="duration")
    def duration(self, obj):
        seconds = obj.duration_seconds
        return "-" if seconds is None else f"{seconds:.1f} s"

    @admin.action(description="Run a restore drill on the selected runs")
    def drill_selected(self, request, queryset):
        runs = list(queryset.filter(status="succeeded",
                                    kind__in=[BackupKind.DATABASE, BackupKind.WALLET_KEYS])
                    .values_list("pk", flat=True))
        if not runs:
            self.message_user(request, "Only successful database or wallet_keys runs can be "
                              "drilled.", messages.WARNING)
            return
        _enqueue_drills(self, request, runs)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(BackupPolicy)
class BackupPolicyAdmin(admin.ModelAdmin):
    list_display = ["kind", "schedule_seconds", "grace_seconds", "keep_last", "keep_days",
                    "last_success", "freshness", "schedule_enabled"]
    list_editable = ["keep_last", "keep_days"]
    readonly_fields = ["kind"]
    actions = ["back_up_now", "prune_now", "drill_now"]

    @admin.display(description="last success")
    def last_success(self, obj):
        run = selectors.backup_last_success(kind=obj.kind)
        return run.finished_at if run else "-"

    @admin.display(description="freshness")
    def freshness(self, obj):
        return selectors.backup_is_fresh(kind=obj.kind)[1]

    @admin.display(description="scheduled", boolean=True)
    def schedule_enabled(self, obj):
        return selectors.backup_schedules_enabled().get(obj.kind, False)

    @admin.action(description="Back up now")
    def back_up_now(self, request, queryset):
        for policy in queryset:
            run = backup_run_create(kind=policy.kind, trigger="admin")
            transaction.on_commit(lambda pk=run.pk: backup_run_execute_task.delay(pk))
        self.message_user(request, f"{queryset.count()} backup(s) queued; see Backup runs.",
                          messages.SUCCESS)

    @admin.action(description="Apply retention now")
    def prune_now(self, request, queryset):
        pruned = sum(len(backup_runs_prune(kind=p.kind)) for p in queryset)
        self.message_user(request, f"{pruned} archive(s) pruned.", messages.SUCCESS)

    @admin.action(description="Run a restore drill now (newest database backup)")
    def drill_now(self, request, queryset):
        run = selectors.backup_last_success(kind=BackupKind.DATABASE)
        if run is None:
            self.message_user(request, "No successful database backup to drill yet.",
                              messages.WARNING)
            return
        _enqueue_drills(self, request, [run.pk])

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RestoreDrillEventInline(admin.TabularInline):
    model = RestoreDrillEvent
    extra = 0
    can_delete = False
    fields = ["at", "from_verdict", "to_verdict", "note"]
    readonly_fields = fields
    verbose_name_plural = "history"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RestoreDrill)
class RestoreDrillAdmin(admin.ModelAdmin):
    inlines = [RestoreDrillEventInline]
    list_display = ["id", "run", "datastore_name", "verdict", "duration", "trigger",
                    "started_at", "reason"]
    list_filter = ["verdict", "trigger", "run__kind", "datastore_name"]
    search_fields = ["reason", "scratch", "datastore_name"]
    list_select_related = ["run"]
    show_full_result_count = False
    readonly_fields = ["run", "datastore", "datastore_name", "trigger", "started_at",
                       "finished_at", "duration",
                       "duration_seconds", "verdict", "reason", "details", "scratch", "host",
                       "pid", "heartbeat_at"]

    @admin.display(description="recovery time", ordering="duration_seconds")
    def duration(self, obj):
        return "-" if obj.duration_seconds is None else f"{obj.duration_seconds:.1f} s"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
