from django.urls import path

from alerting import api as alerts

urlpatterns = [
    path("api/v1/alerts", alerts.AlertListView.as_view(), name="alerts"),
    path("api/v1/alerts/<int:pk>/ack", alerts.AlertAckView.as_view(), name="alert-ack"),
    path("api/v1/alert-rules", alerts.AlertRuleListView.as_view(), name="alert-rules"),
    path("api/v1/alert-rules/<int:pk>", alerts.AlertRuleDetailView.as_view(),
         name="alert-rule"),
    path("api/v1/notification-channels", alerts.NotificationChannelListView.as_view(),
         name="notification-channels"),
]
