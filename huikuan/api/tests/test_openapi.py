"""The OpenAPI schema an ERP developer generates a client from."""

from django.test import Client

EXPECTED = {
    ("/api/v1/customers", "get"),
    ("/api/v1/customers", "post"),
    ("/api/v1/customers/{code}", "get"),
    ("/api/v1/receivables", "get"),
    ("/api/v1/receivables", "post"),
    ("/api/v1/receivables/{number}", "get"),
    ("/api/v1/receivables/{number}/write-off", "post"),
    ("/api/v1/payments", "get"),
    ("/api/v1/payments", "post"),
    ("/api/v1/payments/{number}", "get"),
    ("/api/v1/payments/{number}/reverse", "post"),
    ("/api/v1/credit-notes", "get"),
    ("/api/v1/credit-notes", "post"),
    ("/api/v1/credit-notes/{number}", "get"),
    ("/api/v1/credit-notes/{number}/reverse", "post"),
    ("/api/v1/reports/aging", "get"),
    ("/api/v1/reports/classes", "get"),
    ("/api/v1/tasks", "get"),
    ("/api/v1/tasks/{id}/complete", "post"),
    ("/api/v1/activities", "get"),
    ("/api/v1/activities", "post"),
    ("/api/v1/promises", "get"),
    ("/api/v1/promises", "post"),
    ("/api/v1/disputes", "get"),
    ("/api/v1/disputes", "post"),
    ("/api/v1/disputes/{id}/resolve", "post"),
    ("/api/v1/approvals", "get"),
    ("/api/v1/approvals", "post"),
    ("/api/v1/approvals/{id}/approve", "post"),
    ("/api/v1/approvals/{id}/reject", "post"),
    ("/api/v1/daily-run", "post"),
    ("/api/v1/credit-check", "post"),
    ("/api/v1/credit-decisions", "get"),
    ("/api/v1/credit-decisions/{id}", "get"),
    ("/api/v1/credit-decisions/{id}/release", "post"),
    ("/api/v1/customers/{code}/credit-profile", "get"),
    ("/api/v1/customers/{code}/credit-profile", "post"),
    ("/api/v1/credit-holds", "get"),
    ("/api/v1/credit-holds", "post"),
    ("/api/v1/credit-holds/{id}/release", "post"),
    ("/api/v1/credit-exceptions", "get"),
    ("/api/v1/credit-exceptions", "post"),
    ("/api/v1/credit-exceptions/{id}/revoke", "post"),
    ("/api/v1/signals", "get"),
    ("/api/v1/signals", "post"),
    ("/api/v1/signals/{id}/handle", "post"),
    ("/api/v1/documents", "post"),
    ("/api/v1/documents/{number}", "get"),
    ("/api/v1/documents/{number}.pdf", "get"),
    ("/api/v1/documents/{number}/sent", "post"),
    ("/api/v1/confirmations", "get"),
    ("/api/v1/confirmations/{number}/reply", "post"),
    ("/api/v1/messages", "get"),
    ("/api/v1/messages", "post"),
    ("/api/v1/messages/{id}", "get"),
    ("/api/v1/messages/{id}/requeue", "post"),
    ("/api/v1/messages/{id}/cancel", "post"),
    ("/api/v1/messages/{id}/bounce", "post"),
    ("/api/v1/alerts", "get"),
    ("/api/v1/imports", "get"),
    ("/api/v1/imports/{kind}", "post"),
    ("/api/v1/imports/{id}", "get"),
    ("/api/v1/imports/{id}/commit", "post"),
    ("/api/v1/imports/mappings/{kind}", "get"),
    ("/api/v1/imports/mappings/{kind}", "post"),
}


def schema() -> dict:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_every_endpoint_is_listed_and_needs_the_bearer_token(db):
    paths = schema()["paths"]
    operations = {(path, method) for path, item in paths.items() for method in item}
    assert operations == EXPECTED
    for path, method in EXPECTED:
        assert paths[path][method]["security"] == [{"BearerToken": []}], (path, method)


def test_the_bearer_scheme_is_declared(db):
    schemes = schema()["components"]["securitySchemes"]
    assert schemes == {"BearerToken": {"type": "http", "scheme": "bearer"}}


def test_amounts_are_declared_as_strings_and_errors_have_one_shape(db):
    spec = schema()
    components = spec["components"]["schemas"]
    assert components["PaymentIn"]["properties"]["amount"]["type"] == "string"
    assert components["PaymentOut"]["properties"]["unapplied"]["type"] == "string"
    post = spec["paths"]["/api/v1/payments"]["post"]["responses"]
    for status in ("401", "403", "404", "409", "422"):
        assert post[status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorOut"
        }


def test_operation_ids_are_the_readable_function_names(db):
    paths = schema()["paths"]
    assert paths["/api/v1/tasks"]["get"]["operationId"] == "tasks_list"
    assert paths["/api/v1/approvals/{id}/approve"]["post"]["operationId"] == "approval_approve"
    assert paths["/api/v1/daily-run"]["post"]["operationId"] == "daily_run"


def test_an_import_is_uploaded_as_multipart_form_data(db):
    upload = schema()["paths"]["/api/v1/imports/{kind}"]["post"]
    body = upload["requestBody"]["content"]
    assert list(body) == ["multipart/form-data"]
    properties = body["multipart/form-data"]["schema"]["properties"]
    assert properties["file"]["format"] == "binary"
    assert {"mapping_name", "mapping", "as_of", "commit"} <= set(properties)
    kind = next(p for p in upload["parameters"] if p["name"] == "kind")
    assert "receivables" in kind["description"] and "opening_balances" in kind["description"]
