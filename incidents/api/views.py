"""Incident API: list/open, read/change, timeline entries, postmortem and its export."""

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import TokenUser
from incidents import selectors, services
from incidents.api import serializers as s
from incidents.models import (
    ActionItem,
    Incident,
    IncidentTimelineEntry,
    Postmortem,
    PostmortemStatus,
)


def _actor(request):
    """A session user acts as themselves; a token as its label ("token:<name>")."""
    if isinstance(request.user, TokenUser):
        return request.user.username
    return request.user if request.user.is_authenticated else None


def _incident(pk) -> Incident:
    return selectors.incident_get(pk=pk)


class IncidentListView(GenericAPIView):
    """GET: incidents, newest first, filtered. POST (write): open one."""

    model_permissions = {"POST": (Incident, "add")}

    serializer_class = s.IncidentSerializer

    @extend_schema(
        parameters=[s.IncidentFilterSerializer],
        responses={200: s.IncidentSerializer(many=True)},
    )
    def get(self, request):
        filters = s.IncidentFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = selectors.incident_list(**filters.validated_data).prefetch_related("postmortem")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.IncidentSerializer(page, many=True).data)

    @extend_schema(request=s.IncidentCreateSerializer, responses={201: s.IncidentDetailSerializer})
    def post(self, request):
        data = s.IncidentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        incident = services.incident_open(
            title=v["title"], severity=v["severity"], summary=v["summary"],
            source=v["source"] or str(_actor(request) or ""), actor=_actor(request),
            at=v["detected_at"], affected_components=v["affected_components"],
            commander=v["commander"], started_at=v["started_at"],
        )
        return Response(s.IncidentDetailSerializer(incident).data, status=status.HTTP_201_CREATED)


class IncidentDetailView(APIView):
    """GET: one incident with its timeline. PATCH (write): change fields, status, milestones."""

    model_permissions = {"PATCH": (Incident, "change")}

    @extend_schema(responses={200: s.IncidentDetailSerializer})
    def get(self, request, pk):
        return Response(s.IncidentDetailSerializer(_incident(pk)).data)

    @extend_schema(request=s.IncidentUpdateSerializer, responses={200: s.IncidentDetailSerializer})
    def patch(self, request, pk):
        incident = _incident(pk)
        data = s.IncidentUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        note = changes.pop("note", "")
        services.incident_edit(
            incident=incident, actor=_actor(request), changes=changes, note=note,
        )
        return Response(s.IncidentDetailSerializer(_incident(pk)).data)


class IncidentTimelineView(APIView):
    """POST (write): add a note, action or alert entry to the timeline."""

    model_permissions = {"POST": (IncidentTimelineEntry, "add")}

    @extend_schema(request=s.TimelineCreateSerializer, responses={201: s.TimelineEntrySerializer})
    def post(self, request, pk):
        incident = _incident(pk)
        data = s.TimelineCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        actor = _actor(request)
        entry = services.incident_timeline_add(
            incident=incident, kind=v["kind"], text=v["text"], at=v["at"], data=v["data"],
            author=actor if not isinstance(actor, str) else None,
            author_label=actor if isinstance(actor, str) else "",
        )
        return Response(s.TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class MarkdownRenderer(BaseRenderer):
    """`Accept: text/markdown` (or `?format=md`): the postmortem as a Markdown document."""

    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return selectors.postmortem_markdown(export=data).encode(self.charset)


class PostmortemView(APIView):
    """The incident's postmortem: GET exports it (JSON or Markdown); POST starts it;
    PATCH edits it and publishes (`"status": "published"`) or unpublishes it."""

    model_permissions = {"POST": (Postmortem, "add"), "PATCH": (Postmortem, "change")}

    renderer_classes = [JSONRenderer, MarkdownRenderer]

    def handle_exception(self, exc):
        # Errors stay JSON whatever the client asked for.
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response

    def _postmortem(self, pk):
        postmortem = selectors.postmortem_get(incident=_incident(pk))
        if postmortem is None:
            raise NotFound(f"Incident {pk} has no postmortem yet.")
        return postmortem

    @extend_schema(responses={
        (200, "application/json"): s.PostmortemExportSerializer,
        (200, "text/markdown"): OpenApiResponse(response=OpenApiTypes.STR),
    })
    def get(self, request, pk):
        return Response(selectors.postmortem_export(postmortem=self._postmortem(pk)))

    @extend_schema(request=s.PostmortemWriteSerializer,
                   responses={201: s.PostmortemExportSerializer})
    def post(self, request, pk):
        incident = _incident(pk)
        data = s.PostmortemWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if fields.pop("status", PostmortemStatus.DRAFT) != PostmortemStatus.DRAFT:
            raise serializers.ValidationError(
                {"status": "A postmortem starts as a draft; publish it with PATCH."}
            )
        postmortem = services.postmortem_create(
            incident=incident, actor=_actor(request), **fields,
        )
        return Response(selectors.postmortem_export(postmortem=postmortem), status=201)

    @extend_schema(request=s.PostmortemWriteSerializer,
                   responses={200: s.PostmortemExportSerializer})
    def patch(self, request, pk):
        postmortem = self._postmortem(pk)
        data = s.PostmortemWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        to_status = fields.pop("status", None)
        with transaction.atomic():
            services.postmortem_update(postmortem=postmortem, actor=_actor(request), **fields)
            if to_status and to_status != postmortem.status:
                postmortem = services.postmortem_status_set(
                    postmortem=postmortem, to_status=to_status, actor=_actor(request),
                )
        return Response(selectors.postmortem_export(postmortem=postmortem))


class ActionItemCreateView(APIView):
    """POST (write): add an action item to the incident's postmortem."""

    model_permissions = {"POST": (ActionItem, "add")}

    @extend_schema(request=s.ActionItemSerializer, responses={201: s.ActionItemSerializer})
    def post(self, request, pk):
        postmortem = selectors.postmortem_get(incident=_incident(pk))
        if postmortem is None:
            raise NotFound(f"Incident {pk} has no postmortem yet; POST one first.")
        data = s.ActionItemSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.action_item_create(postmortem=postmortem, actor=_actor(request),
                                           **data.validated_data)
        return Response(s.ActionItemSerializer(item).data, status=status.HTTP_201_CREATED)


class ActionItemDetailView(APIView):
    """PATCH (write): change an action item's title, owner, due date or status."""

    model_permissions = {"PATCH": (ActionItem, "change")}

    @extend_schema(request=s.ActionItemSerializer, responses={200: s.ActionItemSerializer})
    def patch(self, request, pk):
        item = selectors.action_item_get(pk=pk)
        data = s.ActionItemSerializer(item, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        for name, value in data.validated_data.items():
            setattr(item, name, value)
        services.action_item_save(item=item, actor=_actor(request))
        return Response(s.ActionItemSerializer(item).data)
