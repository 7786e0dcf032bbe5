from django.urls import path

from monitoring import views, views_performance
from monitoring.api import events, health, heartbeats, metrics, probes, rpc

urlpatterns = [
    path("health", health.health_view, name="health"),
    path("metrics", metrics.MetricsView.as_view(), name="metrics"),
    path("api/v1/events", events.EventIngestView.as_view(), name="events"),
    path("api/v1/heartbeats", heartbeats.HeartbeatListCreateView.as_view(), name="heartbeats"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("performance/", views_performance.performance, name="performance"),
    path("ping/<uuid:uuid>", heartbeats.ping_success, name="heartbeat-ping"),
    path("ping/<uuid:uuid>/start", heartbeats.ping_start, name="heartbeat-ping-start"),
    path("ping/<uuid:uuid>/fail", heartbeats.ping_fail, name="heartbeat-ping-fail"),
    path("ping/<uuid:uuid>/<int:exit_status>", heartbeats.ping_exit_status,
         name="heartbeat-ping-exit"),
    path("api/v1/rpc/endpoints", rpc.RpcEndpointListView.as_view(), name="rpc-endpoints"),
    path("api/v1/rpc/active", rpc.RpcActiveView.as_view(), name="rpc-active"),
    path("api/v1/dependencies", probes.DependencyListView.as_view(), name="dependencies"),
    path("api/v1/api-keys", probes.ApiKeyListView.as_view(), name="api-keys"),
]
