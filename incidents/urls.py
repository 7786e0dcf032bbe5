from django.urls import path

from incidents.api import views as incidents

urlpatterns = [
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
