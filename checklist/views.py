from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.template.response import TemplateResponse

from .selectors import launch_decision_latest, readiness_compute, user_is_portal_admin
from .services.metrics import success_metrics_evaluate


@staff_member_required
def readiness_page(request):
    """The readiness page: blockers first, progress bars per category, evidence links."""
    readiness = readiness_compute()
    context = {
        **admin.site.each_context(request),
        "title": "Launch readiness",
        "readiness": readiness,
        "decision": launch_decision_latest(),
        "metrics": success_metrics_evaluate(),
        "can_decide": user_is_portal_admin(request.user),
    }
    return TemplateResponse(request, "checklist/readiness.html", context)
