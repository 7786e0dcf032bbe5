"""Inbound alert webhooks: Alertmanager (version 4) and a generic JSON webhook.

Two ways in, because Alertmanager's webhook config may carry only a URL:
`Authorization: Bearer <token with write>` on /api/v1/integrations/<kind>, or the
integration's own URL token in the path (/api/v1/integrations/<kind>/<token>).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from alerting.models import AlertRule, RuleSource
from alerting.services.inbound import (
    alertmanager_parse,
    inbound_alerts_receive,
    integration_by_token,
    integration_default,
    webhook_parse,
)

PARSERS = {RuleSource.ALERTMANAGER: alertmanager_parse, RuleSource.WEBHOOK: webhook_parse}


class _Inbound(APIView):
    source = RuleSource.ALERTMANAGER
    model_permissions = {"POST": (AlertRule, "change")}

    def _rule(self, request, token: str | None) -> AlertRule:
        if token is not None:
            rule = integration_by_token(token=token, source=self.source)
        else:
            rule = integration_default(source=self.source,
                                       name=request.query_params.get("integration", ""))
        if rule is None:
            raise NotFound(f"no enabled {self.source} integration "
                           f"{'has this URL token' if token else 'is configured'}")
        return rule

    def _receive(self, request, token: str | None = None):
        rule = self._rule(request, token)
        alerts = PARSERS[self.source](request.data)  # 400 before anything is stored
        result = inbound_alerts_receive(rule=rule, alerts=alerts)
        return Response({"integration": rule.name, **result}, status=status.HTTP_200_OK)


class AlertmanagerView(_Inbound):
    """POST /api/v1/integrations/alertmanager (Bearer, scope `write`)."""

    source = RuleSource.ALERTMANAGER

    @extend_schema(operation_id="api_v1_integrations_alertmanager",
                   request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def post(self, request):
        return self._receive(request)


class WebhookView(_Inbound):
    """POST /api/v1/integrations/webhook (Bearer, scope `write`)."""

    source = RuleSource.WEBHOOK

    @extend_schema(operation_id="api_v1_integrations_webhook",
                   request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def post(self, request):
        return self._receive(request)


class _ByToken(_Inbound):
    # The URL token is the credential (checked against its hash); no bearer token and
    # no session, so no model permission applies (tests/accounts/test_role_matrix.py).
    authentication_classes: list = []
    permission_classes = [AllowAny]
    model_permissions: dict = {}
    credential_in_url = True


class AlertmanagerTokenView(_ByToken):
    """POST /api/v1/integrations/alertmanager/<token>: Alertmanager's webhook_configs url."""

    source = RuleSource.ALERTMANAGER

    @extend_schema(operation_id="api_v1_integrations_alertmanager_by_url_token",
                   request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT}, auth=[])
    def post(self, request, token: str):
        return self._receive(request, token)


class WebhookTokenView(_ByToken):
    """POST /api/v1/integrations/webhook/<token>."""

    source = RuleSource.WEBHOOK

    @extend_schema(operation_id="api_v1_integrations_webhook_by_url_token",
                   request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT}, auth=[])
    def post(self, request, token: str):
        return self._receive(request, token)
