"""Documents the error answers of every API operation in the OpenAPI schema.

drf-spectacular describes the success answer a view declares; the errors come from
DRF and Django around the view (authentication, scopes, parsing, validation, an
unknown id) and are the same shape everywhere, so they are added here once rather
than on each view. A view that documents a status itself keeps its own.
tests/fuzz checks that no operation answers a status this leaves out.
"""

ERROR = {"$ref": "#/components/schemas/Error"}
VALIDATION_ERROR = {"$ref": "#/components/schemas/ValidationError"}
COMPONENTS = {
    "Error": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
        "description": "Every error but a validation error: one human-readable message.",
    },
    "ValidationError": {
        "type": "object",
        "additionalProperties": {},
        "description": "Invalid input: each offending field (or `detail`, or `non_field_errors`) "
        "with its messages.",
    },
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors_for(method: str, operation: dict) -> dict[str, dict]:
    params = operation.get("parameters", [])
    in_path = any(p["in"] == "path" for p in params)
    in_query = [p["name"] for p in params if p["in"] == "query"]
    errors = {}
    if method != "get" or in_query or "requestBody" in operation:
        errors["400"] = _json(VALIDATION_ERROR, "Invalid input.")
    if operation.get("security"):
        errors["401"] = _json(ERROR, "No token, or an unknown or revoked one.")
        errors["403"] = _json(ERROR, "The token (or staff user) lacks the scope.")
    if in_path or "format" in in_query:
        # An unknown id, or a `format` no renderer of the endpoint offers (DRF's answer).
        errors["404"] = _json(ERROR, "Not found.")
    if "requestBody" in operation:
        errors["415"] = _json(ERROR, "The body is not `application/json`.")
    return errors


def document_errors(result, generator, request, public):
    """POSTPROCESSING_HOOKS entry: add the error answers and their schemas."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(COMPONENTS)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            for status, response in _errors_for(method, operation).items():
                responses.setdefault(status, response)
    return result
