"""POST (scope `evidence`) and GET (scope `read`) /api/v1/evidence/{coverage,tests,review}:
the bot's CI sends its coverage and test reports and who approved the change."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.response import Response

from codescans import selectors, services
from codescans.models import CodeReview, CoverageFormat, CoverageReport, TestReport
from codescans.reports import ReportError
from common.filters import QueryFilterSerializer

Error = {"$ref": "#/components/schemas/Error"}  # common/openapi.py
XML_TYPES = ("application/xml", "text/xml")
COMMIT_PATTERN = "^(?:[0-9a-fA-F]{7,40}|[0-9a-fA-F]{64})$"
COMMIT = OpenApiParameter("commit", str, required=True, pattern=COMMIT_PATTERN,
                          allow_blank=False, description="The git SHA the report is for: "
                          "7 to 40 (or 64) hex characters.")


class CoverageReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = CoverageReport
        fields = ["id", "commit", "format", "line_rate", "lines_covered", "lines_valid",
                  "branch_rate", "files", "lowest_files", "size_bytes", "sha256",
                  "received_at", "posted_by"]
        read_only_fields = fields


class TestReportSerializer(serializers.ModelSerializer):
    __test__ = False  # pytest: a serializer, not a test class

    class Meta:
        model = TestReport
        fields = ["id", "commit", "tests", "failures", "errors", "skipped",
                  "duration_seconds", "suites", "failed_ids", "failed_total", "size_bytes",
                  "sha256", "received_at", "posted_by"]
        read_only_fields = fields


class CodeReviewSerializer(serializers.ModelSerializer):
    approved_by = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = CodeReview
        fields = ["id", "commit", "change", "approved_by", "author", "sha256",
                  "received_at", "posted_by"]
        read_only_fields = fields


class CodeReviewRequestSerializer(serializers.Serializer):  # the schema's, for clients
    change = serializers.CharField(max_length=500,
                                   help_text="The pull request: its URL or number.")
    approved_by = serializers.ListField(child=serializers.CharField(max_length=150),
                                        min_length=1, max_length=services.MAX_APPROVERS)
    author = serializers.CharField(max_length=150, required=False, allow_null=True)


class CommitFilterSerializer(QueryFilterSerializer):
    commit = serializers.RegexField(r"^[0-9a-fA-F]{7,64}$", required=False,
                                    trim_whitespace=False,
                                    help_text="A SHA, whole or its first 7+ characters.")


def _posted_by(request) -> str:
    token_name = getattr(request.auth, "name", None)  # an ApiToken (accounts)
    if token_name:
        return f"token:{token_name}"[:150]
    user = request.user
    return f"user:{user.get_username()}"[:150] if user.is_authenticated else ""


def _media_type(request) -> str:
    return (request.content_type or "").split(";")[0].strip().lower()


def _error(code: int, detail: str) -> Response:
    return Response({"detail": detail}, status=code)


class _EvidenceView(generics.GenericAPIView):
    # The body is read raw (services.evidence_body_read), never through a parser: the
    # request schema names its content types (extend_schema below).
    required_scopes = {"POST": "evidence"}
    accepted: tuple[str, ...] = ()

    def get_queryset(self):
        filters = CommitFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return self.list_rows(**filters.validated_data)

    def list_rows(self, **filters):
        raise NotImplementedError

    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def post(self, request):
        media_type = _media_type(request)
        if media_type not in self.accepted:
            raise UnsupportedMediaType(
                request.content_type or "(none)",
                detail=f"Send the report as {' or '.join(self.accepted)}, "
                f"not {request.content_type or '(no Content-Type)'}.")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = None
        try:
            body = services.evidence_body_read(request._request, declared=declared,
                                               limit=self.body_limit())
        except services.EvidenceTooLarge as exc:
            return _error(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, str(exc))
        try:
            with body.file:
                row, created = self.record(body, media_type, request.query_params.get(
                    "commit"), _posted_by(request))
        except ReportError as exc:
            return _error(status.HTTP_400_BAD_REQUEST, str(exc))
        return Response(self.get_serializer(row).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def body_limit(self) -> int | None:
        return None  # EVIDENCE_MAX_BYTES

    def record(self, body, media_type, commit, posted_by):
        raise NotImplementedError


def _post_schema(*, request, kind: str, serializer, examples=()):
    return extend_schema(
        parameters=[COMMIT], request=request, examples=list(examples),
        responses={
            201: OpenApiResponse(serializer, description=f"The {kind}, stored."),
            200: OpenApiResponse(serializer, description=f"The same {kind} for this commit "
                                 "was already stored: that row, nothing new."),
            400: OpenApiResponse(Error, description="Malformed, or no valid commit; what is "
                                 "wrong is in `detail`. Nothing is stored."),
            413: OpenApiResponse(Error, description="Over EVIDENCE_MAX_BYTES."),
            415: OpenApiResponse(Error, description="A Content-Type this endpoint does not "
                                 "take."),
        })


def _list_schema(serializer):
    return extend_schema(parameters=[CommitFilterSerializer],
                         responses={200: serializer(many=True)})


class CoverageEvidenceView(_EvidenceView):
    """Coverage of the bot's tests: Cobertura XML (`coverage xml`) or coverage.py JSON."""

    model_permissions = {"POST": (CoverageReport, "add")}
    serializer_class = CoverageReportSerializer
    accepted = (*XML_TYPES, "application/json")

    def list_rows(self, **filters):
        return selectors.coverage_reports_list(**filters)

    def record(self, body, media_type, commit, posted_by):
        fmt = CoverageFormat.COBERTURA if media_type in XML_TYPES \
            else CoverageFormat.COVERAGE_JSON
        return services.coverage_report_record(body=body, fmt=fmt, commit=commit,
                                               posted_by=posted_by)

    @_list_schema(CoverageReportSerializer)
    def get(self, request):
        return super().get(request)

    @_post_schema(kind="coverage report", serializer=CoverageReportSerializer,
                  request={"application/xml": OpenApiTypes.STR,
                           "application/json": OpenApiTypes.OBJECT})
    def post(self, request):
        return super().post(request)


class TestsEvidenceView(_EvidenceView):
    """The bot's test run: a JUnit XML report (`pytest --junitxml`)."""

    model_permissions = {"POST": (TestReport, "add")}
    serializer_class = TestReportSerializer
    accepted = XML_TYPES

    def list_rows(self, **filters):
        return selectors.test_reports_list(**filters)

    def record(self, body, media_type, commit, posted_by):
        return services.junit_report_record(body=body, commit=commit, posted_by=posted_by)

    @_list_schema(TestReportSerializer)
    def get(self, request):
        return super().get(request)

    @_post_schema(kind="test report", serializer=TestReportSerializer,
                  request={"application/xml": OpenApiTypes.STR})
    def post(self, request):
        return super().post(request)


class ReviewEvidenceView(_EvidenceView):
    """Who approved the change that became this commit."""

    model_permissions = {"POST": (CodeReview, "add")}
    serializer_class = CodeReviewSerializer
    accepted = ("application/json",)

    def list_rows(self, **filters):
        return selectors.code_reviews_list(**filters)

    def body_limit(self) -> int | None:
        return services.REVIEW_MAX_BYTES

    def record(self, body, media_type, commit, posted_by):
        return services.code_review_record(body=body, commit=commit, posted_by=posted_by)

    @_list_schema(CodeReviewSerializer)
    def get(self, request):
        return super().get(request)

    @_post_schema(kind="review", serializer=CodeReviewSerializer,
                  request=CodeReviewRequestSerializer, examples=[OpenApiExample(
                      "a pull request", request_only=True, value={
                          "change": "https://github.com/example/bot/pull/42",
                          "approved_by": ["alice"], "author": "bob"})])
    def post(self, request):
        return super().post(request)
