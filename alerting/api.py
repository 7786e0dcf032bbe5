"""Alerts, alert rules and notification channels over HTTP."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from alerting import selectors
from alerting.models import Alert, AlertRule, AlertState, NotificationChannel
from alerting.services import alert_rules, alerts, notify
from common.secret_urls import SecretUrlSerializerMixin, serializer_context


class AlertRuleSerializer(serializers.ModelSerializer):
    depends_on = serializers.SlugRelatedField(slug_field="name", queryset=AlertRule.objects,
                                              required=False, allow_null=True)

    class Meta:
        model = AlertRule
        fields = ["id", "name", "source", "metric_key", "operator", "threshold", "for_seconds",
                  "min_events", "severity", "actions", "labels", "depends_on", "runbook_url",
                  "renotify_seconds", "escalate_after_seconds", "enabled", "created_at",
                  "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_actions(self, value):
        if not isinstance(value, list):
            raise ValidationError("must be a list of action names")
        return value

    def validate_labels(self, value):
        if not isinstance(value, dict):
            raise ValidationError("must be an object")
        return value


class AlertSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule.name")
    rule_id = serializers.IntegerField()
    severity = serializers.CharField(source="rule.severity")
    acknowledged_by = serializers.CharField(source="acknowledged_label")

    class Meta:
        model = Alert
        fields = ["id", "rule", "rule_id", "severity", "state", "value", "started_at",
                  "fired_at", "resolved_at", "notified_at", "silenced", "suppressed",
                  "escalation_level", "acknowledged_at", "acknowledged_by"]


class NotificationChannelSerializer(SecretUrlSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = NotificationChannel
        fields = ["id", "name", "url", "min_severity", "escalation_level", "enabled",
                  "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_url(self, value):
        try:
            notify.channel_url_validate(value)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict["url"]) from exc
        return value


class AlertRuleListView(APIView):
    """GET /api/v1/alert-rules (read), POST (write)."""

    model_permissions = {"POST": (AlertRule, "add")}

    @extend_schema(responses=AlertRuleSerializer(many=True))
    def get(self, request):
        rules = selectors.alert_rules_list()
        return Response(AlertRuleSerializer(rules, many=True).data)

    @extend_schema(request=AlertRuleSerializer, responses={201: AlertRuleSerializer})
    def post(self, request):
        s = AlertRuleSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        rule = alert_rules.alert_rule_create(**s.validated_data)
        return Response(AlertRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class AlertRuleDetailView(APIView):
    """GET, PATCH /api/v1/alert-rules/{id}."""

    model_permissions = {"PATCH": (AlertRule, "change")}

    @extend_schema(responses=AlertRuleSerializer)
    def get(self, request, pk):
        return Response(AlertRuleSerializer(get_object_or_404(AlertRule, pk=pk)).data)

    @extend_schema(request=AlertRuleSerializer, responses=AlertRuleSerializer)
    def patch(self, request, pk):
        rule = get_object_or_404(AlertRule, pk=pk)
        s = AlertRuleSerializer(rule, data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        rule = alert_rules.alert_rule_update(rule=rule, **s.validated_data)
        return Response(AlertRuleSerializer(rule).data)


class AlertListView(ListAPIView):
    """GET /api/v1/alerts?state=pending|firing|resolved (read), newest first."""

    serializer_class = AlertSerializer

    def get_queryset(self):
        state = self.request.query_params.get("state")
        if state is not None and state not in AlertState.values:
            raise ValidationError({"state": [f"unknown state {state!r}; choose from "
                                             f"{', '.join(AlertState.values)}"]})
        return selectors.alerts_list(state=state)

    @extend_schema(parameters=[OpenApiParameter("state", enum=AlertState.values)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AlertAckView(APIView):
    """POST /api/v1/alerts/{id}/ack (write): stops escalation and re-notification."""

    model_permissions = {"POST": (Alert, "change")}

    @extend_schema(request=None, responses=AlertSerializer)
    def post(self, request, pk):
        alert = selectors.alert_get(pk=pk)
        # A token's principal is not a Django user: record its name as the label.
        user = request.user if isinstance(request.user, get_user_model()) else None
        label = user.get_username() if user else str(request.user)
        alert = alerts.alert_acknowledge(alert=alert, now=timezone.now(), user=user,
                                         label=label)
        return Response(AlertSerializer(alert).data)


class NotificationChannelListView(APIView):
    """GET /api/v1/notification-channels (read), POST (write)."""

    model_permissions = {"POST": (NotificationChannel, "add")}

    @extend_schema(responses=NotificationChannelSerializer(many=True))
    def get(self, request):
        return Response(NotificationChannelSerializer(selectors.notification_channels_list(),
                                                      many=True,
                                                      context=serializer_context(request)).data)

    @extend_schema(request=NotificationChannelSerializer,
                   responses={201: NotificationChannelSerializer})
    def post(self, request):
        s = NotificationChannelSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = {k: v for k, v in s.validated_data.items() if k != "enabled"}
        channel = notify.notification_channel_create(**data)
        return Response(NotificationChannelSerializer(channel,
                                                      context=serializer_context(request)).data,
                        status=status.HTTP_201_CREATED)
