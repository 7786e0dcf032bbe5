"""Pagination that refuses what it cannot honour instead of silently ignoring it."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination


class StrictLimitOffsetPagination(LimitOffsetPagination):
    """`?limit=` 1..MAX_LIMIT and `?offset=` >= 0; anything else is a 400, not the default.

    DRF's own falls back to the default page for `limit=abc` or `offset=-1`: a client
    with a bug would read the wrong page and never know.
    """

    max_limit = 1000
    # Past this an OFFSET overflows the database's integer (a 500, not a page).
    max_offset = 10**9

    def _param(self, request, name: str, minimum: int, maximum: int | None):
        raw = request.query_params.get(name)
        if raw is None:
            return None
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            bound = f"{minimum}..{maximum}" if maximum is not None else f">= {minimum}"
            raise ValidationError({name: [f"must be an integer {bound}, not {raw!r}"]})
        return value

    def get_limit(self, request):
        limit = self._param(request, self.limit_query_param, 1, self.max_limit)
        return self.default_limit if limit is None else limit

    def get_offset(self, request):
        return self._param(request, self.offset_query_param, 0, self.max_offset) or 0

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.limit_query_param:
                param["schema"].update(minimum=1, maximum=self.max_limit)
            elif param["name"] == self.offset_query_param:
                param["schema"].update(minimum=0, maximum=self.max_offset)
        return params
