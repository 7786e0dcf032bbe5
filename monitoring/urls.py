from django.urls import path

from . import views
from .api import events, health, heartbeats, metrics

urlpatterns = [
    path("health", health.health_view, name="health"),
    path("metrics", metrics.MetricsView.as_view(), name="metrics"),
    path("api/v1/events", events.EventIngestView.as_view(), name="events"),
    path("api/v1/heartbeats", heartbeats.HeartbeatListCreateView.as_view(), name="heartbeats"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("ping/<uuid:uuid>", heartbeats.ping_success, name="heartbeat-ping"),
    path("ping/<uuid:uuid>/start", heartbeats.ping_start, name="heartbeat-ping-start"),
    path("ping/<uuid:uuid>/fail", heartbeats.ping_fail, name="heartbeat-ping-fail"),
]
