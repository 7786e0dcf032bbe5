from django.urls import path

from checklist.api import ReadinessView
from checklist.views import readiness_page, readiness_verify

urlpatterns = [
    path("api/v1/readiness", ReadinessView.as_view(), name="readiness-api"),
    path("readiness/", readiness_page, name="readiness"),
    path("readiness/verify", readiness_verify, name="readiness-verify"),
]
