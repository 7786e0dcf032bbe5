from django.urls import path

from .api import ReadinessView
from .views import readiness_page

urlpatterns = [
    path("api/v1/readiness", ReadinessView.as_view(), name="readiness-api"),
    path("readiness/", readiness_page, name="readiness"),
]
