from django.urls import path

from alerting import api as alerts
from alerting import api_control as control
from alerting import api_inbound as inbound

urlpatterns = [
    path("api/v1/bot/control", control.BotControlView.as_view(), name="bot-control"),
    path("api/v1/bot/control/<int:pk>/confirm", control.BotControlConfirmView.as_view(),
         name="bot-control-confirm"),
    path("api/v1/alerts", alerts.AlertListView.as_view(), name="alerts"),
    path("api/v1/alerts/<int:pk>/ack", alerts.AlertAckView.as_view(), name="alert-ack"),
    path("api/v1/alert-rules", alerts.AlertRuleListView.as_view(), name="alert-rules"),
    path("api/v1/alert-rules/<int:pk>", alerts.AlertRuleDetailView.as_view(),
         name="alert-rule"),
    path("api/v1/integrations/alertmanager", inbound.AlertmanagerView.as_view(),
         name="integration-alertmanager"),
    path("api/v1/integrations/alertmanager/<str:token>",
         inbound.AlertmanagerTokenView.as_view(), name="integration-alertmanager-token"),
    path("api/v1/integrations/webhook", inbound.WebhookView.as_view(),
         name="integration-webhook"),
    path("api/v1/integrations/webhook/<str:token>", inbound.WebhookTokenView.as_view(),
         name="integration-webhook-token"),
    path("api/v1/notification-channels", alerts.NotificationChannelListView.as_view(),
         name="notification-channels"),
]
