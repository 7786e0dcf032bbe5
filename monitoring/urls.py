from django.urls import path

from . import api

urlpatterns = [
    path("health", api.health_view, name="health"),
    path("metrics", api.MetricsView.as_view(), name="metrics"),
]
