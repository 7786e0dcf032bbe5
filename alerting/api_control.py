"""The kill switch over HTTP: POST /api/v1/bot/control and its confirmation.

Asking needs the `control` scope or a session allowed to add a bot control request
(Operators, Admins). Confirming an exit_all is a second person's act: a session only.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from alerting.models import BotControlRequest, ControlAction
from alerting.services import bot_control


class BotControlAskSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ControlAction.values)
    reason = serializers.CharField(max_length=2000)


class BotControlRequestSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_label")
    confirmed_by = serializers.SerializerMethodField()

    class Meta:
        model = BotControlRequest
        fields = ["id", "action", "reason", "state", "requested_by", "created_at",
                  "expires_at", "confirmed_by", "confirmed_at", "sent_at", "response_status",
                  "response_ms", "response_body", "error"]

    def get_confirmed_by(self, obj) -> str | None:
        return obj.confirmed_by.get_username() if obj.confirmed_by else None


def _raise(exc: DjangoValidationError):
    raise ValidationError(exc.message_dict if hasattr(exc, "error_dict")
                          else {"detail": exc.messages[0]}) from exc


def _answer(req: BotControlRequest, code: int) -> Response:
    return Response(BotControlRequestSerializer(req).data, status=code)


class BotControlView(APIView):
    """POST /api/v1/bot/control {"action", "reason"}: 201 with the request as recorded
    (sent, failed, or pending_confirmation for exit_all)."""

    required_scopes = {"POST": "control"}
    model_permissions = {"POST": (BotControlRequest, "add")}

    @extend_schema(request=BotControlAskSerializer,
                   responses={201: BotControlRequestSerializer})
    def post(self, request):
        s = BotControlAskSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        user = request.user if isinstance(request.user, get_user_model()) else None
        try:
            req = bot_control.bot_control_request(
                action=s.validated_data["action"], reason=s.validated_data["reason"],
                now=timezone.now(), user=user, label=str(request.user.username)[:150])
        except DjangoValidationError as exc:
            _raise(exc)
        return _answer(req, status.HTTP_201_CREATED)


class BotControlConfirmView(APIView):
    """POST /api/v1/bot/control/{id}/confirm: another Operator or Admin sends the exit_all."""

    required_scopes = {"POST": "control"}
    model_permissions = {"POST": (BotControlRequest, "change")}

    @extend_schema(request=None, responses={200: BotControlRequestSerializer})
    def post(self, request, pk):
        user = request.user
        if not isinstance(user, get_user_model()):
            raise PermissionDenied("Confirming is a second person's act: sign in to the "
                                   "portal as yourself (a staff session); a token cannot.")
        get_object_or_404(BotControlRequest, pk=pk)
        try:
            req = bot_control.bot_control_confirm(request_id=pk, user=user, now=timezone.now())
        except DjangoValidationError as exc:
            _raise(exc)
        return _answer(req, status.HTTP_200_OK)
