from django.urls import path

from .api import health

urlpatterns = [
    path("health", health.health_view, name="health"),
    path("metrics", health.MetricsView.as_view(), name="metrics"),
]
