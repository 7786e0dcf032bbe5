"""Content negotiation that treats `?format=` (present, empty) as the unknown format it is."""

from django.http import Http404
from rest_framework.negotiation import DefaultContentNegotiation


class StrictContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        # DRF answers 404 to `?format=xyz` but ignores `?format=`: one answer for both.
        param = self.settings.URL_FORMAT_OVERRIDE
        if not format_suffix and param and request.query_params.get(param, None) == "":
            raise Http404("No renderer for the empty format.")
        return super().select_renderer(request, renderers, format_suffix)
