"""Postmortems with their action items inline, and action items on their own."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from common.history import HistoryInline
from incidents import selectors, services
from incidents.admin.incidents import download_markdown
from incidents.models import (
    ActionItem,
    ActionItemEvent,
    ActionItemStatus,
    Postmortem,
    PostmortemRevision,
    PostmortemStatus,
)


def _staff_only(db_field, kwargs):
    if db_field.name == "owner":
        kwargs["queryset"] = get_user_model().objects.filter(is_staff=True, is_active=True)


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    fields = ["title", "owner", "due_date", "status", "completed_at"]
    readonly_fields = ["completed_at"]
    extra = 1

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        _staff_only(db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class PostmortemRevisionInline(HistoryInline):
    model = PostmortemRevision


class ActionItemEventInline(HistoryInline):
    model = ActionItemEvent


@admin.register(Postmortem)
class PostmortemAdmin(admin.ModelAdmin):
    list_display = ["incident", "status", "published_at", "open_items", "updated_at"]
    list_filter = ["status"]
    search_fields = ["incident__title", "summary", "root_cause"]
    list_select_related = ["incident"]
    inlines = [ActionItemInline, PostmortemRevisionInline]
    actions = ["download"]
    change_form_template = "admin/incidents/postmortem/change_form.html"
    readonly_fields = ["incident_link", "status", "published_at", "impact_duration"]
    fieldsets = [
        (None, {"fields": ["incident_link", "status", "published_at", "summary"]}),
        ("Impact", {"fields": ["users_affected", "trades_affected", "fees_affected_sol",
                               "impact_duration"]}),
        ("Analysis", {"fields": ["trigger", "root_cause", "detection", "resolution",
                                 "went_well", "went_badly", "lessons"]}),
    ]

    def has_add_permission(self, request):
        # A postmortem is started from its incident ("Write postmortem"), one per incident.
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _open_items=Count("action_items", filter=~Q(action_items__status=ActionItemStatus.DONE))
        )

    @admin.display(description="open action items", ordering="_open_items")
    def open_items(self, obj):
        return obj._open_items

    @admin.display(description="incident")
    def incident_link(self, obj):
        url = reverse("admin:incidents_incident_change", args=[obj.incident_id])
        return format_html('<a href="{}">{}</a>', url, obj.incident)

    @admin.display(description="duration (start of impact to mitigation)")
    def impact_duration(self, obj):
        return selectors.format_duration(obj.incident.impact_duration)

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        services.postmortem_update(postmortem=obj, actor=request.user, **fields)

    def save_formset(self, request, form, formset, change):
        for item in formset.save(commit=False):
            services.action_item_save(item=item, actor=request.user)
        for item in formset.deleted_objects:
            item.delete()

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/status/", wrap(self.status_view), name="incidents_postmortem_status"),
            path("<int:pk>/markdown/", wrap(self.markdown_view),
                 name="incidents_postmortem_markdown"),
            *super().get_urls(),
        ]

    def status_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        postmortem = get_object_or_404(Postmortem, pk=pk)
        if not self.has_change_permission(request, postmortem):
            raise PermissionDenied
        try:
            postmortem = services.postmortem_status_set(
                postmortem=postmortem, to_status=request.POST.get("to_status", ""),
                actor=request.user,
            )
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(request, f"Postmortem is now {postmortem.get_status_display()}.")
        return HttpResponseRedirect(reverse("admin:incidents_postmortem_change", args=[pk]))

    def markdown_view(self, request, pk):
        postmortem = get_object_or_404(Postmortem, pk=pk)
        if not self.has_view_permission(request, postmortem):
            raise PermissionDenied
        return download_markdown([postmortem])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"draft": PostmortemStatus.DRAFT, "published": PostmortemStatus.PUBLISHED}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    @admin.action(description="Download as Markdown")
    def download(self, request, queryset):
        return download_markdown(list(queryset.select_related("incident")))


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            overdue = selectors.action_items_overdue(now=timezone.now())
            return queryset.filter(pk__in=overdue.values("pk"))
        return queryset


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "due_date", "status", "incident"]
    list_filter = [OverdueFilter, "status", ("owner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "postmortem__incident__title"]
    list_select_related = ["owner", "postmortem__incident"]
    raw_id_fields = ["postmortem"]
    readonly_fields = ["completed_at"]
    inlines = [ActionItemEventInline]

    @admin.display(description="incident")
    def incident(self, obj):
        return obj.postmortem.incident

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        _staff_only(db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        services.action_item_save(item=obj, actor=request.user)
