from django.http import JsonResponse
from django.urls import include, path


def bare(request):
    """The floor: Django's whole stack and a JSON body, no work at all."""
    return JsonResponse({"status": "ok"})


urlpatterns = [path("bench/bare", bare, name="bench-bare"), path("", include("opsportal.urls"))]
