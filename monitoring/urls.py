from django.urls import path

from .api import alerts, health, rpc

urlpatterns = [
    path("health", health.health_view, name="health"),
    path("metrics", health.MetricsView.as_view(), name="metrics"),
    path("api/v1/alerts", alerts.AlertListView.as_view(), name="alerts"),
    path("api/v1/alerts/<int:pk>/ack", alerts.AlertAckView.as_view(), name="alert-ack"),
    path("api/v1/alert-rules", alerts.AlertRuleListView.as_view(), name="alert-rules"),
    path("api/v1/alert-rules/<int:pk>", alerts.AlertRuleDetailView.as_view(),
         name="alert-rule"),
    path("api/v1/notification-channels", alerts.NotificationChannelListView.as_view(),
         name="notification-channels"),
    path("api/v1/rpc/endpoints", rpc.RpcEndpointListView.as_view(), name="rpc-endpoints"),
    path("api/v1/rpc/active", rpc.RpcActiveView.as_view(), name="rpc-active"),
]
