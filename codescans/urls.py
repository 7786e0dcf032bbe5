from django.urls import path

from codescans import api

urlpatterns = [
    path("api/v1/evidence/coverage", api.CoverageEvidenceView.as_view(),
         name="evidence-coverage"),
    path("api/v1/evidence/tests", api.TestsEvidenceView.as_view(), name="evidence-tests"),
    path("api/v1/evidence/review", api.ReviewEvidenceView.as_view(), name="evidence-review"),
]
