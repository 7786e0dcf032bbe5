from django.urls import path

from checklist.api import (
    DecisionDetailView,
    DecisionListView,
    DecisionSignoffView,
    ReadinessView,
    WaiverDecideView,
    WaiverListView,
)
from checklist.views import readiness_history, readiness_page, readiness_verify

urlpatterns = [
    path("api/v1/readiness", ReadinessView.as_view(), name="readiness-api"),
    path("api/v1/waivers", WaiverListView.as_view(), name="waivers-api"),
    path("api/v1/waivers/<int:pk>/approve", WaiverDecideView.as_view(action="approve"),
         name="waiver-approve-api"),
    path("api/v1/waivers/<int:pk>/reject", WaiverDecideView.as_view(action="reject"),
         name="waiver-reject-api"),
    path("api/v1/decisions", DecisionListView.as_view(), name="decisions-api"),
    path("api/v1/decisions/<int:pk>", DecisionDetailView.as_view(), name="decision-api"),
    path("api/v1/decisions/<int:pk>/signoffs", DecisionSignoffView.as_view(),
         name="decision-signoffs-api"),
    path("readiness/", readiness_page, name="readiness"),
    path("readiness/history", readiness_history, name="readiness-history"),
    path("readiness/verify", readiness_verify, name="readiness-verify"),
]
