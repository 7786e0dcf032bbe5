"""Readiness, waivers and launch decisions over the API.

Reading needs the `read` scope. Requesting or approving a waiver, recording a decision
and signing it off are a person's acts: they need a signed-in staff session (the
API through the browser, or a session cookie), never a bearer token, whose holder
the portal cannot name.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import TokenUser
from checklist import records
from checklist.models import ChecklistItem, LaunchDecision, Waiver
from checklist.selectors import (
    checklist_items_with_last_verification,
    launch_decision_latest,
    readiness_compute,
    readiness_public,
)
from checklist.services.decisions import launch_decision_record, launch_decision_sign_off
from checklist.services.waivers import waiver_approve, waiver_reject, waiver_request

ReadinessSerializer = inline_serializer("Readiness", {
    "decision": serializers.ChoiceField(choices=["GO", "NO-GO"]),
    "percent_complete": serializers.FloatField(),
    "blockers": inline_serializer("Blocker", {
        "category": serializers.CharField(), "item": serializers.CharField(),
        "reason": serializers.CharField()}, many=True),
    "waivers": serializers.ListField(child=serializers.DictField()),
    "items": serializers.ListField(child=serializers.DictField()),
    "latest_decision": serializers.DictField(allow_null=True),
})


def _person(request, act: str):
    """The signed-in person; a token is refused (403) for acts a person signs."""
    if isinstance(request.user, TokenUser) or not request.user.is_authenticated:
        raise PermissionDenied(f"{act} is a person's act: sign in to the portal as yourself "
                               f"(a staff session); a token cannot do it.")
    return request.user


def _item_json(i) -> dict:
    return {
        "key": i.key, "category": i.category, "text": i.text, "status": i.status,
        "required": i.required, "closed": i.closed, "evidence": i.evidence_summary(),
        "evidence_url": i.evidence_url or None, "verifier": i.verifier_key,
        "last_verified_at": i.last_checked_at.isoformat() if i.last_checked_at else None,
        "last_verification_passed": i.last_passed, "last_verification_detail": i.last_detail,
        "waiver_id": i.waiver_id if i.status == "waived" else None,
    }


class ReadinessView(APIView):
    """GET /api/v1/readiness (scope `read`): GO only when no required item is open.

    The contract's keys, plus the waivers the verdict rests on (approved and live, and
    pending ones), every item with the evidence behind it, and the latest decision with
    its sign-offs."""

    @extend_schema(responses={200: ReadinessSerializer}, examples=[OpenApiExample(
        "NO-GO", value={"decision": "NO-GO", "percent_complete": 12.5, "blockers": [
            {"category": "Infrastructure", "item": "SSL certificates valid",
             "reason": "to do, no evidence yet"}], "waivers": [], "items": [],
            "latest_decision": None})])
    def get(self, request):
        items = list(checklist_items_with_last_verification())
        readiness = readiness_compute(items=items)
        latest = launch_decision_latest()
        decision = None
        if latest is not None:
            decision = records.decision_export(latest)
            decision.pop("snapshot")
        return Response({**readiness_public(readiness),
                         "waivers": [records.waiver_json(w) for w in records.waivers_visible()],
                         "items": [_item_json(i) for i in items],
                         "latest_decision": decision})


class WaiverCreateSerializer(serializers.Serializer):
    item = serializers.SlugField(help_text="the checklist item's key")
    reason = serializers.CharField()
    expires_at = serializers.DateTimeField()


class WaiverDecideSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class WaiverListView(GenericAPIView):
    """GET: every waiver, newest first (`?state=`). POST: ask for one (a person)."""

    model_permissions = {"POST": (ChecklistItem, "change")}
    serializer_class = WaiverCreateSerializer

    @extend_schema(operation_id="api_v1_waivers_list", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        qs = Waiver.objects.select_related("item", "requested_by", "decided_by")
        state = request.query_params.get("state")
        if state:
            if state not in Waiver.State.values:
                raise serializers.ValidationError(
                    {"state": f"choose one of {', '.join(Waiver.State.values)}"})
            qs = qs.filter(state=state)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response([records.waiver_json(w) for w in page])

    @extend_schema(request=WaiverCreateSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        user = _person(request, "Asking for a waiver")
        data = WaiverCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = ChecklistItem.objects.filter(key=data.validated_data["item"]).first()
        if item is None:
            raise serializers.ValidationError({"item": "no checklist item has this key"})
        waiver = waiver_request(item=item, reason=data.validated_data["reason"],
                                expires_at=data.validated_data["expires_at"], user=user)
        return Response(records.waiver_json(waiver), status=status.HTTP_201_CREATED)


class WaiverDecideView(APIView):
    """POST /api/v1/waivers/{id}/approve or /reject: the signed-in Admin decides."""

    model_permissions = {"POST": (ChecklistItem, "change")}
    action = "approve"

    @extend_schema(request=WaiverDecideSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        user = _person(request, "Approving a waiver" if self.action == "approve"
                       else "Rejecting a waiver")
        waiver = Waiver.objects.filter(pk=pk).first()
        if waiver is None:
            raise NotFound("no waiver has this id")
        data = WaiverDecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        act = waiver_approve if self.action == "approve" else waiver_reject
        waiver = act(waiver=waiver, user=user, note=data.validated_data["note"])
        waiver = Waiver.objects.select_related("item", "requested_by", "decided_by").get(pk=pk)
        return Response(records.waiver_json(waiver))


class MarkdownRenderer(BaseRenderer):
    """`Accept: text/markdown` (or `?format=md`): the decision record as Markdown."""

    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return records.decision_markdown(export=data).encode(self.charset)


class DecisionCreateSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=LaunchDecision.Decision.values)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SignoffSerializer(serializers.Serializer):
    role = serializers.CharField(required=False, allow_blank=True, default="",
                                 help_text="one of GO_SIGNOFF_ROLES; default: the first "
                                           "unsigned one you hold")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DecisionListView(GenericAPIView):
    """GET: decisions, newest first (without their snapshots). POST: record one (an Admin)."""

    model_permissions = {"POST": (LaunchDecision, "add")}
    serializer_class = DecisionCreateSerializer

    @extend_schema(operation_id="api_v1_decisions_list", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        page = self.paginate_queryset(records.decisions_with_signoffs())
        out = []
        for record in page:
            export = records.decision_export(record)
            export.pop("snapshot")
            out.append(export)
        return self.get_paginated_response(out)

    @extend_schema(request=DecisionCreateSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        user = _person(request, "Recording a launch decision")
        data = DecisionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = launch_decision_record(decision=data.validated_data["decision"], user=user,
                                        note=data.validated_data["note"])
        record = records.decisions_with_signoffs().get(pk=record.pk)
        return Response(records.decision_export(record), status=status.HTTP_201_CREATED)


class DecisionDetailView(APIView):
    """GET /api/v1/decisions/{id}: the record with its frozen readiness (JSON or Markdown)."""

    renderer_classes = [JSONRenderer, MarkdownRenderer]

    def handle_exception(self, exc):
        # Errors stay JSON (as the schema says), whatever format the client asked for.
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response

    @extend_schema(responses={(200, "application/json"): OpenApiTypes.OBJECT,
                              (200, "text/markdown"): OpenApiResponse(OpenApiTypes.STR)})
    def get(self, request, pk: int):
        record = records.decisions_with_signoffs().filter(pk=pk).first()
        if record is None:
            raise NotFound("no decision has this id")
        return Response(records.decision_export(record))


class DecisionSignoffView(APIView):
    """POST /api/v1/decisions/{id}/signoffs: the signed-in person signs the GO off."""

    model_permissions = {"POST": (LaunchDecision, "view")}

    @extend_schema(request=SignoffSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        user = _person(request, "Signing off a GO")
        record = LaunchDecision.objects.filter(pk=pk).first()
        if record is None:
            raise NotFound("no decision has this id")
        data = SignoffSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        launch_decision_sign_off(record=record, user=user,
                                 role=data.validated_data["role"] or None,
                                 note=data.validated_data["note"])
        record = records.decisions_with_signoffs().get(pk=record.pk)
        return Response(records.decision_export(record), status=status.HTTP_201_CREATED)
