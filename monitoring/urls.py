from django.urls import path

from monitoring import views, views_performance
from monitoring.api import alerts, events, health, heartbeats, incidents, metrics, rpc

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
    path("api/v1/alerts", alerts.AlertListView.as_view(), name="alerts"),
    path("api/v1/alerts/<int:pk>/ack", alerts.AlertAckView.as_view(), name="alert-ack"),
    path("api/v1/alert-rules", alerts.AlertRuleListView.as_view(), name="alert-rules"),
    path("api/v1/alert-rules/<int:pk>", alerts.AlertRuleDetailView.as_view(),
         name="alert-rule"),
    path("api/v1/notification-channels", alerts.NotificationChannelListView.as_view(),
         name="notification-channels"),
    path("api/v1/rpc/endpoints", rpc.RpcEndpointListView.as_view(), name="rpc-endpoints"),
    path("api/v1/rpc/active", rpc.RpcActiveView.as_view(), name="rpc-active"),
    path("api/v1/incidents", incidents.IncidentListView.as_view(), name="incident-list"),
    path("api/v1/incidents/<int:pk>", incidents.IncidentDetailView.as_view(),
         name="incident-detail"),
    path("api/v1/incidents/<int:pk>/timeline", incidents.IncidentTimelineView.as_view(),
         name="incident-timeline"),
    path("api/v1/incidents/<int:pk>/postmortem", incidents.PostmortemView.as_view(),
         name="incident-postmortem"),
    path("api/v1/incidents/<int:pk>/postmortem/action-items",
         incidents.ActionItemCreateView.as_view(), name="incident-action-items"),
    path("api/v1/action-items/<int:pk>", incidents.ActionItemDetailView.as_view(),
         name="action-item-detail"),
]
