"""The incident commander's admin: run an incident from its change page.

Every write goes through `incidents.services`: the form's save,
the status buttons, timeline notes. The form validates through the model's
`clean()`, so a milestone out of order is a form error, not a 500.
"""

from datetime import timedelta
from urllib.parse import quote

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from incidents import selectors, services
from incidents.models import (
    STATUS_ORDER,
    Incident,
    IncidentStatus,
    IncidentTimelineEntry,
)


class CommaListField(forms.CharField):
    """A list of names typed as "rpc, trading"."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        return [part.strip() for part in (value or "").split(",") if part.strip()]

    def has_changed(self, initial, data):
        return (initial or []) != self.to_python(data)


class IncidentForm(forms.ModelForm):
    affected_components = CommaListField(
        required=False, help_text="Comma-separated, e.g. rpc, trading, telegram",
    )

    class Meta:
        model = Incident
        fields = ["title", "severity", "commander", "summary", "affected_components",
                  "started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at"]


class TimelineInline(admin.TabularInline):
    """Past entries are read-only; a new row adds a note as the logged-in user."""

    model = IncidentTimelineEntry
    fields = ["at", "kind", "text", "author_name"]
    readonly_fields = ["at", "kind", "author_name"]
    extra = 1
    can_delete = False
    verbose_name = "timeline entry"
    verbose_name_plural = "timeline (add a note in the empty row, then Save)"
    formfield_overrides = {
        IncidentTimelineEntry._meta.get_field("text").__class__: {
            "widget": forms.Textarea(attrs={"rows": 2, "cols": 80}),
        },
    }

    @admin.display(description="by")
    def author_name(self, obj):
        return obj.author_name if obj and obj.pk else "you"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def has_change_permission(self, request, obj=None):
        return False


def download_markdown(postmortems) -> HttpResponse:
    """The postmortems' Markdown exports as one download."""
    docs = [
        selectors.postmortem_markdown(export=selectors.postmortem_export(postmortem=p))
        for p in postmortems
    ]
    response = HttpResponse("\n---\n\n".join(docs), content_type="text/markdown; charset=utf-8")
    name = (f"postmortem-incident-{postmortems[0].incident_id}.md" if len(postmortems) == 1
            else "postmortems.md")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    form = IncidentForm
    list_display = ["__str__", "status", "severity", "commander", "started_at",
                    "tta", "ttr"]
    list_filter = ["status", "severity", ("commander", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "summary", "source"]
    list_select_related = ["commander"]
    date_hierarchy = "started_at"
    show_full_result_count = False
    inlines = [TimelineInline]
    actions = ["download_postmortems"]
    change_form_template = "admin/incidents/incident/change_form.html"
    change_list_template = "admin/incidents/incident/change_list.html"
    readonly_fields = ["status", "tta", "ttr", "impact", "postmortem_link", "kill_switch",
                       "source", "created_at"]
    add_fieldsets = [
        (None, {"fields": ["title", "severity", "commander", "summary",
                           "affected_components", "started_at"]}),
    ]
    change_fieldsets = [
        (None, {"fields": ["title", "severity", "status", "commander", "summary",
                           "affected_components", "source", "postmortem_link",
                           "kill_switch"]}),
        ("Milestones (edits are recorded in the timeline)", {"fields": [
            "started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at",
            "tta", "ttr", "impact",
        ]}),
    ]

    def get_fieldsets(self, request, obj=None):
        return self.change_fieldsets if obj else self.add_fieldsets

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def get_changeform_initial_data(self, request):
        return {"started_at": timezone.now(), **super().get_changeform_initial_data(request)}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "commander":
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="time to acknowledge")
    def tta(self, obj):
        return selectors.format_duration(obj.time_to_acknowledge)

    @admin.display(description="time to resolve")
    def ttr(self, obj):
        return selectors.format_duration(obj.time_to_resolve)

    @admin.display(description="impact duration")
    def impact(self, obj):
        return selectors.format_duration(obj.impact_duration)

    @admin.display(description="postmortem")
    def postmortem_link(self, obj):
        postmortem = selectors.postmortem_get(incident=obj) if obj.pk else None
        if postmortem:
            url = reverse("admin:incidents_postmortem_change", args=[postmortem.pk])
            return format_html('<a href="{}">Open the postmortem ({})</a>', url,
                               postmortem.get_status_display())
        return "None yet: use “Write postmortem” above."

    @admin.display(description="bot kill switch")
    def kill_switch(self, obj):
        """Open incidents link to the kill switch (alerting's add form, reached by URL
        name: incidents imports no alerting code)."""
        if not obj.pk or obj.status == IncidentStatus.RESOLVED:
            return "-"
        url = reverse("admin:alerting_botcontrolrequest_add")
        why = f"Incident #{obj.pk}: {obj.title}"
        return format_html(
            '<a class="button" href="{}?action=pause_entries&reason={}">Pause entries</a> '
            '<a class="button" href="{}?action=exit_all&reason={}">Exit all (needs a second '
            'person)</a>', url, quote(why), url, quote(why))

    # --- writes through the services ---------------------------------------
    def save_model(self, request, obj, form, change):
        if not change:
            data = form.cleaned_data
            created = services.incident_open(
                title=data["title"], severity=data["severity"], summary=data["summary"],
                source=request.user.get_username(), actor=request.user,
                affected_components=data["affected_components"],
                commander=data.get("commander"), started_at=data["started_at"],
            )
            obj.pk = created.pk
            obj._state.adding = False
            obj.refresh_from_db()
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if changes:
            services.incident_edit(
                incident=Incident.objects.get(pk=obj.pk), actor=request.user, changes=changes,
            )
            obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        if formset.model is not IncidentTimelineEntry:
            return super().save_formset(request, form, formset, change)
        created = [
            services.incident_timeline_add(
                incident=form.instance, kind="note", text=entry.text, author=request.user,
            )
            for entry in formset.save(commit=False)
            if entry.pk is None and entry.text.strip()
        ]
        formset.new_objects, formset.changed_objects, formset.deleted_objects = created, [], []

    # --- status buttons, postmortem, dashboard ------------------------------
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("dashboard/", wrap(self.dashboard_view), name="incidents_incident_dashboard"),
            path("<int:pk>/transition/", wrap(self.transition_view),
                 name="incidents_incident_transition"),
            path("<int:pk>/postmortem/", wrap(self.postmortem_view),
                 name="incidents_incident_postmortem"),
            *super().get_urls(),
        ]

    def transition_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        incident = get_object_or_404(Incident, pk=pk)
        if not self.has_change_permission(request, incident):
            raise PermissionDenied
        to_status = request.POST.get("to_status", "")
        try:
            services.incident_transition(incident=incident, to_status=to_status,
                                         actor=request.user, note=request.POST.get("note", ""))
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(request, f"Incident #{pk} is now {incident.get_status_display()}.")
        return HttpResponseRedirect(reverse("admin:incidents_incident_change", args=[pk]))

    def postmortem_view(self, request, pk):
        """Open the incident's postmortem, starting it (POST) when there is none."""
        incident = get_object_or_404(Incident, pk=pk)
        postmortem = selectors.postmortem_get(incident=incident)
        if postmortem is None:
            if request.method != "POST" or not request.user.has_perm("incidents.add_postmortem"):
                raise PermissionDenied
            postmortem = services.postmortem_create(incident=incident, actor=request.user)
            self.message_user(request, "Postmortem started as a draft.")
        return HttpResponseRedirect(
            reverse("admin:incidents_postmortem_change", args=[postmortem.pk])
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        incident = self.get_object(request, object_id)
        extra = {}
        if incident is not None:
            extra = {
                "transitions": [
                    (value, IncidentStatus(value).label) for value in STATUS_ORDER
                    if value != incident.status
                    and services.incident_transition_allowed(incident.status, value)
                ],
                "has_postmortem": selectors.postmortem_get(incident=incident) is not None,
                "can_add_postmortem": request.user.has_perm("incidents.add_postmortem"),
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def _stats(self, now):
        return selectors.incident_mtta_mttr(since=now - timedelta(days=30), until=now)

    def changelist_view(self, request, extra_context=None):
        now = timezone.now()
        stats = self._stats(now)
        extra = {
            "stats": stats,
            "mtta": selectors.format_duration(stats["mtta_seconds"]),
            "mttr": selectors.format_duration(stats["mttr_seconds"]),
            "overdue_count": selectors.action_items_overdue_count(now=now),
        }
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = timezone.now()
        try:
            days = max(1, min(int(request.GET.get("days", 30)), 3650))
        except ValueError:
            days = 30
        stats = selectors.incident_mtta_mttr(since=now - timedelta(days=days), until=now)
        context = {
            **self.admin_site.each_context(request),
            "title": "Incident dashboard",
            "opts": self.model._meta,
            "days": days,
            "stats": stats,
            "mtta": selectors.format_duration(stats["mtta_seconds"]),
            "mttr": selectors.format_duration(stats["mttr_seconds"]),
            "open_incidents": selectors.incident_open_list(),
            "overdue": selectors.action_items_overdue(now=now),
        }
        return TemplateResponse(request, "admin/incidents/incident/dashboard.html", context)

    @admin.action(description="Download the postmortems as Markdown")
    def download_postmortems(self, request, queryset):
        postmortems = [
            p for p in (selectors.postmortem_get(incident=i) for i in queryset) if p is not None
        ]
        if not postmortems:
            self.message_user(request, "None of the selected incidents has a postmortem.",
                              messages.WARNING)
            return None
        return download_markdown(postmortems)
