from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from checklist import records
from checklist.selectors import launch_decision_latest, readiness_compute, user_is_portal_admin
from checklist.services.metrics import success_metrics_evaluate
from checklist.services.verification import checklist_verify


@staff_member_required
def readiness_page(request):
    """The readiness page: blockers first, progress bars per category, evidence links."""
    readiness = readiness_compute()
    decision = launch_decision_latest()
    context = {
        **admin.site.each_context(request),
        "title": "Launch readiness",
        "readiness": readiness,
        "decision": decision,
        "decision_state": records.decision_state(decision) if decision else None,
        "signoffs": list(decision.signoffs.all()) if decision else [],
        "signoff_roles": settings.GO_SIGNOFF_ROLES,
        "waivers": records.waivers_visible(),
        "metrics": success_metrics_evaluate(),
        "can_decide": user_is_portal_admin(request.user),
        "can_verify": request.user.has_perm("checklist.change_checklistitem"),
    }
    return TemplateResponse(request, "checklist/readiness.html", context)


@staff_member_required
def readiness_history(request):
    """The verdict's audit trail: every tick, waiver, decision, sign-off and revocation."""
    context = {**admin.site.each_context(request), "title": "History of the verdict",
               "events": records.verdict_history()}
    return TemplateResponse(request, "checklist/history.html", context)


@staff_member_required
@require_POST
def readiness_verify(request):
    """Run the verifiers now (Operators and Admins: they may change checklist items)."""
    if not request.user.has_perm("checklist.change_checklistitem"):
        raise PermissionDenied
    messages.success(request, checklist_verify()["summary"])
    return redirect("readiness")
