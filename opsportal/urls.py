from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

handler404 = "common.errors.handler404"
handler500 = "common.errors.handler500"

urlpatterns = [
    path("", include("monitoring.urls")),
    path("", include("alerting.urls")),
    path("", include("incidents.urls")),
    path("", include("backups.urls")),
    path("", include("checklist.urls")),
    path("", include("codescans.urls")),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("account/", include("accounts.urls")),  # 2FA and logout everywhere (issue 11)
    path("admin/", admin.site.urls),
]
