"""Serializers for the incident API: validation of input, shape of output."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.filters import QueryFilterSerializer
from incidents.models import (
    ActionItem,
    ActionItemStatus,
    Incident,
    IncidentStatus,
    IncidentTimelineEntry,
    PostmortemStatus,
    Severity,
    TimelineKind,
)

# Kinds a client may post; status changes and milestone edits come only from the services.
POSTABLE_KINDS = [TimelineKind.NOTE, TimelineKind.ACTION, TimelineKind.ALERT]
DATE_FORMATS = ["iso-8601", "%Y-%m-%d"]


@extend_schema_field(OpenApiTypes.STR)
class UserRefField(serializers.Field):
    """A staff user given by username or numeric id; answers with the username."""

    default_error_messages = {
        "unknown": "Unknown user '{value}': no active staff user has that username or id.",
        "invalid": "Give a username (string) or a user id (integer).",
    }

    def to_internal_value(self, data):
        users = get_user_model().objects.filter(is_active=True, is_staff=True)
        # A NUL byte is refused here as DRF's CharField would: PostgreSQL rejects it in
        # a query parameter with an error (a 500), SQLite simply finds no user.
        if isinstance(data, bool) or not isinstance(data, (str, int)) \
                or (isinstance(data, str) and "\x00" in data):
            self.fail("invalid")
        user = None
        if isinstance(data, str):
            user = users.filter(username=data).first()
        # ASCII digits only: "²".isdigit() is True, but int("²") raises.
        if user is None and str(data).isascii() and str(data).isdigit():
            user = users.filter(pk=int(data)).first()
        if user is None:
            self.fail("unknown", value=data)
        return user

    def to_representation(self, value):
        return value.get_username() if value else None


@extend_schema_field(OpenApiTypes.DOUBLE)
class DurationSecondsField(serializers.ReadOnlyField):
    """A duration as seconds (a number, or null while it has not ended)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value.total_seconds() if value is not None else None


class IncidentSerializer(serializers.ModelSerializer):
    commander = UserRefField(allow_null=True)
    time_to_acknowledge_seconds = DurationSecondsField(source="time_to_acknowledge")
    time_to_resolve_seconds = DurationSecondsField(source="time_to_resolve")
    has_postmortem = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id", "title", "severity", "status", "commander", "summary", "affected_components",
            "source", "started_at", "detected_at", "acknowledged_at", "mitigated_at",
            "resolved_at", "time_to_acknowledge_seconds", "time_to_resolve_seconds",
            "has_postmortem", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_has_postmortem(self, obj) -> bool:
        return hasattr(obj, "postmortem")


class TimelineEntrySerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author_name", read_only=True)

    class Meta:
        model = IncidentTimelineEntry
        fields = ["id", "at", "kind", "text", "author", "data"]
        read_only_fields = fields


class IncidentDetailSerializer(IncidentSerializer):
    timeline = TimelineEntrySerializer(many=True, read_only=True)

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "timeline"]
        read_only_fields = fields


class IncidentFilterSerializer(QueryFilterSerializer):
    status = serializers.ChoiceField(choices=IncidentStatus.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    started_after = serializers.DateTimeField(required=False, input_formats=DATE_FORMATS)
    started_before = serializers.DateTimeField(required=False, input_formats=DATE_FORMATS)

    def validate(self, attrs):
        after, before = attrs.get("started_after"), attrs.get("started_before")
        if after and before and after >= before:
            raise serializers.ValidationError(
                {"started_before": "Must be later than started_after."}
            )
        return attrs


class IncidentCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    severity = serializers.ChoiceField(choices=Severity.choices)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    affected_components = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, default=list,
    )
    commander = UserRefField(required=False, allow_null=True, default=None)
    source = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    started_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    detected_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Default: now",
    )

    def validate(self, attrs):
        # A clock a few minutes fast is tolerated; an incident dated tomorrow is a typo.
        latest = timezone.now() + timedelta(minutes=5)
        for name in ("started_at", "detected_at"):
            if attrs.get(name) and attrs[name] > latest:
                raise serializers.ValidationError({name: "Cannot be in the future."})
        return attrs


class IncidentUpdateSerializer(serializers.Serializer):
    """Every field optional; `status` goes through the transition service, `note` rides along."""

    title = serializers.CharField(max_length=200, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    affected_components = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False,
    )
    commander = UserRefField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=IncidentStatus.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    started_at = serializers.DateTimeField(required=False)
    detected_at = serializers.DateTimeField(required=False)
    acknowledged_at = serializers.DateTimeField(required=False, allow_null=True)
    mitigated_at = serializers.DateTimeField(required=False, allow_null=True)
    resolved_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate(self, attrs):
        if not {k for k in attrs if k != "note"} and not attrs.get("note"):
            raise serializers.ValidationError("Nothing to change: send at least one field.")
        return attrs


class TimelineCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=POSTABLE_KINDS, default=TimelineKind.NOTE)
    text = serializers.CharField(max_length=10000)
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    data = serializers.DictField(required=False, default=dict)


class PostmortemWriteSerializer(serializers.Serializer):
    summary = serializers.CharField(required=False, allow_blank=True)
    users_affected = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    trades_affected = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    fees_affected_sol = serializers.DecimalField(
        max_digits=20, decimal_places=9, required=False, allow_null=True, min_value=0,
    )
    trigger = serializers.CharField(required=False, allow_blank=True)
    root_cause = serializers.CharField(required=False, allow_blank=True)
    detection = serializers.CharField(required=False, allow_blank=True)
    resolution = serializers.CharField(required=False, allow_blank=True)
    went_well = serializers.CharField(required=False, allow_blank=True)
    went_badly = serializers.CharField(required=False, allow_blank=True)
    lessons = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=PostmortemStatus.choices, required=False)


class ActionItemSerializer(serializers.ModelSerializer):
    owner = UserRefField(required=False, allow_null=True, default=None)
    status = serializers.ChoiceField(choices=ActionItemStatus.choices, default="open")
    due_date = serializers.DateField(required=False, allow_null=True, default=None)

    class Meta:
        model = ActionItem
        fields = ["id", "title", "owner", "due_date", "status", "completed_at"]
        read_only_fields = ["id", "completed_at"]


class PostmortemExportSerializer(serializers.Serializer):
    """Documents the export's shape for the schema; the data comes from `postmortem_export`."""

    incident = serializers.DictField()
    status = serializers.ChoiceField(choices=PostmortemStatus.choices)
    published_at = serializers.DateTimeField(allow_null=True)
    summary = serializers.CharField()
    impact = serializers.DictField()
    trigger = serializers.CharField()
    root_cause = serializers.CharField()
    detection = serializers.CharField()
    resolution = serializers.CharField()
    went_well = serializers.CharField()
    went_badly = serializers.CharField()
    lessons = serializers.CharField()
    timeline = serializers.ListField(child=serializers.DictField())
    action_items = serializers.ListField(child=serializers.DictField())
