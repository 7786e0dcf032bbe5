"""Test-only URLconf: the real routes plus two views that fail with secrets in the error."""

from django.conf import settings
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from opsportal.urls import handler404, handler500  # noqa: F401
from opsportal.urls import urlpatterns as real_urlpatterns


def _boom():
    raise RuntimeError(settings.TEST_BOOM_SECRET)


class BoomApiView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        _boom()


def boom_page(request):
    _boom()


urlpatterns = [
    path("api/v1/test-boom", BoomApiView.as_view()),
    path("test-boom/", boom_page),
    *real_urlpatterns,
]
