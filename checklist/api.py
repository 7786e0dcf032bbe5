from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from checklist.selectors import readiness_compute, readiness_public

ReadinessSerializer = inline_serializer("Readiness", {
    "decision": serializers.ChoiceField(choices=["GO", "NO-GO"]),
    "percent_complete": serializers.FloatField(),
    "blockers": inline_serializer("Blocker", {
        "category": serializers.CharField(), "item": serializers.CharField(),
        "reason": serializers.CharField()}, many=True),
})


class ReadinessView(APIView):
    """GET /api/v1/readiness (scope `read`): GO only when no required item is open."""

    @extend_schema(responses={200: ReadinessSerializer}, examples=[OpenApiExample(
        "NO-GO", value={"decision": "NO-GO", "percent_complete": 12.5, "blockers": [
            {"category": "Infrastructure", "item": "SSL certificates valid",
             "reason": "to do, no evidence yet"}]})])
    def get(self, request):
        return Response(readiness_public(readiness_compute()))
