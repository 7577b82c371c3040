"""Schema post-processing: answers that middleware gives before any view runs are documented too.

Control characters in the path or the query string get 400 (api.input_guard) and bodies over
the limit get 413 (api.middleware) on every operation, whatever the view declares.
"""

ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}
GUARD_RESPONSES = {
    "400": "Bad input; `fields` names each field at fault (control characters are refused everywhere).",
}
BODY_RESPONSES = {"413": "Body over the size limit."}
METHODS = {"get", "post", "put", "patch", "delete"}


def document_guard_responses(result, generator, request, public):
    if "Error" not in result.get("components", {}).get("schemas", {}):
        return result
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            extra = dict(GUARD_RESPONSES)
            if "requestBody" in operation:
                extra.update(BODY_RESPONSES)
            for status, description in extra.items():
                responses.setdefault(
                    status, {"content": {"application/json": {"schema": ERROR_SCHEMA}}, "description": description}
                )
    return result
