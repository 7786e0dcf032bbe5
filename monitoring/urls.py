from django.urls import path

from .api import events, health, metrics

urlpatterns = [
    path("health", health.health_view, name="health"),
    path("metrics", metrics.MetricsView.as_view(), name="metrics"),
    path("api/v1/events", events.EventIngestView.as_view(), name="events"),
]
