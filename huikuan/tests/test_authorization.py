"""Authorization: every page and every API endpoint, for every role, against the objects of a
customer in another team — 0 leaks.

Nothing here lists URLs by hand: the pages come from the URL configuration and the endpoints from
the OpenAPI schema, so a page added tomorrow is checked tomorrow. Each path parameter is filled with
each of the foreign objects' ids (customer, contact, contract, delivery, receivable, payment, credit
note, the collection work's task, activity, promise, dispute and approval request, the credit
control's signal, hold, exception and decision, and the letters: two balance confirmations and
their documents, a failed email and its alert — pks for ``<int:…>`` and integer API ids, codes and
numbers, letter numbers included, for text). Each URL is requested with GET, with GET plus query
parameters naming the foreign objects, and with POST: for pages, the form the finance user sees on
that URL with every choice pointed at the foreign objects (an empty body where there is no form);
for the API, a body built from the schema that names the foreign customer, receivable and letter.

A user who may not see the foreign customer must never get its secret markers (name, code, document
and letter numbers, contact name, the texts of its tasks, contacts, promises, disputes and approval
requests, of its credit control, of a confirmation's reply, of its message, delivery attempt and
alert) in an answer, gets 404 (or 403 on a page their role may not open) for its objects, and
changes nothing: no ledger row or balance, no customer, contact, payment process or contract field,
no collection record (task, contact log, promise, dispute, approval, limitation event, case), no
credit-control record, no letter issued or marked sent, no reply recorded, no message queued,
cancelled or sent again, no alert raised or resolved, and no daily run. Finance and administrators
see everyone: the tests at the end prove they do get the markers, and a rep gets their own, so the
marker check can fail. Every problem of one URL is collected for every role, so one run shows every
leak. The world and the probe are in leaks.py.

The world (with its PDF letters) is built once per URL, not once per URL and role: each role probes
inside a savepoint that is rolled back afterwards, so every role meets the world as it was built,
whatever the roles before it were allowed to change.
"""

import contextlib
import itertools
import json
import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.urls.converters import get_converters
from django.urls.resolvers import RoutePattern

from huikuan.api.apis import api
from huikuan.api.services import api_token_create

from .leaks import (
    LATER,
    ROLES,
    SEEING,
    Account,
    Probe,
    World,
    answer_text,
    build_world,
    client_as,
    form_as_finance,
)


@pytest.fixture
def world(db) -> World:
    return build_world()


@contextlib.contextmanager
def undone():
    """Whatever the block writes is rolled back at its end (a savepoint)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def probe_every_role(world: World, check) -> list[str]:
    """``check(role)`` (which probes as that role and returns its probe) for each role, each on
    the world as it was built; every problem found, naming its role."""
    failures = []
    for role in ROLES:
        with undone():
            probe = check(role)
            failures += [f"[{role}] {failure}" for failure in probe.failures]
    return failures


# --- Pages from the URL configuration ------------------------------------------------------------

# Not this test's business: Django's admin (its own permission system), the language switch,
# signing in and out, and the API (checked below with bearer tokens, from its schema).
SKIPPED_PREFIXES = ("admin/", "i18n/", "api/", "static/", "media/")
SKIPPED_NAMES = {"web:login", "web:logout"}
PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    path: str  # Django's route syntax, e.g. "customers/<int:pk>/edit/"
    name: str
    regex: bool = False

    def __str__(self):
        return "/" + self.path


def walk(patterns, prefix: str = "", namespace: str = "", regex: bool = False):
    for entry in patterns:
        is_regex = regex or not isinstance(entry.pattern, RoutePattern)
        path = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from walk(entry.url_patterns, path, inner, is_regex)
        else:
            name = ":".join(part for part in (namespace, entry.name) if part) if entry.name else ""
            yield Route(path=path, name=name, regex=is_regex)


ROUTES = [
    route
    for route in walk(get_resolver().url_patterns)
    if not route.path.startswith(SKIPPED_PREFIXES) and route.name not in SKIPPED_NAMES
]


def fill(route: Route, values: dict[str, str]) -> list[tuple[str, str]]:
    """``(label, url)`` for each foreign id that fits every parameter of the route; one
    unlabelled URL for a route without parameters."""
    if not PARAM.search(route.path):
        return [("", str(route))]
    converters = get_converters()
    labels: dict[str, list[str]] = {}  # one request per id: a customer and a contract may share 7
    for label, value in values.items():
        fits = all(
            re.fullmatch(converters[m["converter"] or "str"].regex, value)
            for m in PARAM.finditer(route.path)
        )
        if fits:
            labels.setdefault(value, []).append(label)
    return [
        (" / ".join(names), "/" + PARAM.sub(value, route.path)) for value, names in labels.items()
    ]


def query_naming(world: World) -> dict:
    """Query parameters that point a page at the foreign objects, under the names the pages use
    for filters, pre-selection and drill-downs."""
    foreign = world.foreign
    return {
        "customer": foreign.customer.pk,
        "q": foreign.customer.code,
        "number": foreign.receivable.number,
        "owner": world.foreign_rep.pk,
        "region": world.foreign_region.pk,
        "contract": foreign.contract.pk,
        "by": "customer",
        "key": foreign.customer.pk,
        "rep": world.foreign_rep.pk,
        "on": LATER,
        "status": "all",
    }


def test_the_url_walk_reaches_the_pages_that_take_an_object_id():
    paths = {route.path for route in ROUTES}
    assert {
        "customers/<int:pk>/",
        "customers/<int:pk>/edit/",
        "contracts/<int:pk>/",
        "ledger/receivables/<int:pk>/",
        "ledger/payments/<int:pk>/",
    } <= paths
    assert not [route for route in ROUTES if route.regex], "fill() cannot fill regex patterns"


def probe_page(world: World, route: Route, role: str) -> Probe:
    probe = Probe(world, role, client_as(world, role))
    allowed = (302, 403, 404, 405) if role == "anonymous" else (403, 404, 405)
    finance = client_as(world, "finance")
    for label, url in fill(route, {**world.foreign.pks, **world.foreign.codes}):
        assert resolve(url).route == route.path, f"{url} does not reach {route}"
        target = {"label": label, "allowed": allowed}
        probe.request("GET", url, **target)
        query = {} if label else query_naming(world)
        if query:
            probe.request("GET", url, data=query)
        body = form_as_finance(finance, url, query)
        response = probe.request("POST", url, data=body, **target)
        redirect = response.get("Location", "")
        if role == "anonymous" and redirect and not redirect.startswith(settings.LOGIN_URL):
            probe.failures.append(f"POST {url}: sends a stranger to {redirect}")
    return probe


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_no_page_shows_or_changes_another_teams_customer(route, world):
    failures = probe_every_role(world, lambda role: probe_page(world, route, role))
    assert not failures, f"{len(failures)} problem(s):\n" + "\n".join(failures)


# --- API endpoints from the OpenAPI schema -------------------------------------------------------

SCHEMA = api.get_openapi_schema()
OPERATIONS = [
    (method.upper(), path)
    for path, operations in SCHEMA["paths"].items()
    for method in operations
    if method in ("get", "post", "put", "patch", "delete")
]


def resolve_ref(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


class Example:
    """Request values built from the schema that name the foreign objects wherever the schema
    takes a reference by code or number."""

    _numbers = itertools.count(1)

    def __init__(self, world: World):
        foreign = world.foreign
        self.references = {
            "customer": foreign.customer.code,
            "q": foreign.customer.code,
            "receivable": foreign.receivable.number,
            "receivables": foreign.receivable.number,
            "owner": world.foreign_rep.username,
            "rep": world.foreign_rep.username,
            "region": world.foreign_region.code,
            "task": foreign.collection.task.pk,
            "contact": foreign.contact.pk,
            "document": foreign.letters.pending.number,
            "recipient": "curious@example.com",
        }

    def value(self, schema: dict, name: str = ""):
        schema = resolve_ref(schema)
        options = schema.get("oneOf") or schema.get("anyOf")
        if options:
            options = [resolve_ref(o) for o in options if o.get("type") != "null"]
            richest = sorted(options, key=lambda o: {"array": 0, "object": 1}.get(o.get("type"), 2))
            return self.value(richest[0], name)
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "object":
            return {key: self.value(sub, key) for key, sub in schema.get("properties", {}).items()}
        if kind == "array":
            return [self.value(schema.get("items", {}), name)]
        if name in self.references and kind in ("integer", "string"):
            value = self.references[name]
            return value if kind == "integer" or isinstance(value, str) else str(value)
        if kind == "integer":
            return schema.get("default", schema.get("minimum", 1))
        if kind == "boolean":
            return True
        if schema.get("format") == "date":
            return LATER
        if schema.get("pattern") and re.fullmatch(schema["pattern"], "1.00"):
            return "1.00"
        if name in ("number", "code"):
            return f"HACK-{next(self._numbers)}"
        return "curious"

    def queries(self, parameters: list[dict]) -> list[dict]:
        """No query at all, every query parameter filled, and each other value of each choice."""
        query = {p["name"]: self.value(p.get("schema", {}), p["name"]) for p in parameters}
        variants = [{}, query] if query else [{}]
        for p in parameters:
            for choice in resolve_ref(p.get("schema", {})).get("enum", [])[1:]:
                variants.append({**query, p["name"]: choice})
        return variants


def api_client(world: World, role: str) -> Client:
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    if role in world.users:
        token = api_token_create(user=world.users[role])[1]
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def probe_operation(world: World, operation: tuple[str, str], role: str) -> Probe:
    method, path = operation
    spec = SCHEMA["paths"][path][method.lower()]
    probe = Probe(world, role, api_client(world, role))
    example = Example(world)
    parameters = spec.get("parameters", [])
    in_path = [p for p in parameters if p["in"] == "path"]
    in_query = [p for p in parameters if p["in"] == "query"]
    if in_path:
        # Ids (integers) take every foreign pk, codes and numbers (text) every foreign code.
        by_id = all(resolve_ref(p.get("schema", {})).get("type") == "integer" for p in in_path)
        values = world.foreign.pks if by_id else world.foreign.codes
        labels: dict[str, list[str]] = {}
        for label, value in values.items():
            labels.setdefault(value, []).append(label)
        urls = []
        for value, names in labels.items():
            url = path
            for p in in_path:
                url = url.replace("{" + p["name"] + "}", value)
            urls.append((" / ".join(names), url))
    else:
        urls = [("", path)]
    allowed = (401,) if role == "anonymous" else (404,)
    for label, url in urls:
        if method == "GET":
            for query in example.queries(in_query):
                probe.request("GET", url, data=query, label=label, allowed=allowed)
        else:
            body_schema = spec.get("requestBody", {}).get("content", {})
            body_schema = body_schema.get("application/json", {}).get("schema", {})
            body = example.value(body_schema) if body_schema else {}
            response = probe.request(method, url, data=body, json_body=True)
            status = response.status_code
            if probe.blind and not 400 <= status < 500:
                probe.failures.append(
                    f"{method} {url} {json.dumps(body, ensure_ascii=False)}: answers "
                    f"{status}; a role that may not see the customer needs a 4xx"
                )
            elif probe.blind and label and status not in allowed:
                # A refusal for the object's state (422: "already sent", "not a failed
                # message") tells that the foreign object exists: it must be as missing.
                probe.failures.append(
                    f"{method} {url} {json.dumps(body, ensure_ascii=False)}: answers {status} "
                    f"for the foreign {label}; expected one of {allowed}"
                )
    return probe


@pytest.mark.parametrize("operation", OPERATIONS, ids=" ".join)
def test_no_api_endpoint_shows_or_changes_another_teams_customer(operation, world):
    failures = probe_every_role(world, lambda role: probe_operation(world, operation, role))
    assert not failures, f"{len(failures)} problem(s):\n" + "\n".join(failures)


# --- The marker check can fail: those who may see the customer do see the markers ---------------


def missing_markers(account: Account, text: str, names=None) -> list[str]:
    markers = account.markers if names is None else account.secrets
    return [
        name
        for name, marker in markers.items()
        if (names is None or name in names) and marker not in text
    ]


@pytest.mark.parametrize("role", SEEING)
def test_finance_and_admin_see_every_marker_on_the_foreign_customers_page(role, world):
    page = client_as(world, role).get(reverse("customers:detail", args=[world.foreign.customer.pk]))
    assert page.status_code == 200
    assert missing_markers(world.foreign, answer_text(page)) == []


@pytest.mark.parametrize("role", SEEING)
def test_the_aging_export_names_the_foreign_customer_for_finance_and_admin(role, world):
    export = client_as(world, role).get(reverse("reports:aging_xlsx"), {"as_of": LATER})
    assert export.status_code == 200
    names = {"customer name", "customer code"}
    assert missing_markers(world.foreign, answer_text(export), names) == []


def test_a_rep_sees_every_marker_on_their_own_customers_page(world):
    page = client_as(world, "rep").get(reverse("customers:detail", args=[world.own.customer.pk]))
    assert page.status_code == 200
    assert missing_markers(world.own, answer_text(page)) == []


API_MARKERS = {
    "customer name",
    "customer code",
    "delivery number",
    "receivable number",
    "payment number",
    "credit note number",
}


@pytest.mark.parametrize(
    ("role", "whose"), [("finance", "foreign"), ("admin", "foreign"), ("rep", "own")]
)
def test_whoever_may_see_a_customer_gets_its_markers_from_the_api(role, whose, world):
    account = getattr(world, whose)
    client = api_client(world, role)
    code = account.customer.code
    answers = [
        client.get(f"/api/v1/customers/{code}"),
        client.get("/api/v1/receivables", {"customer": code}),
        client.get("/api/v1/payments", {"customer": code}),
        client.get("/api/v1/credit-notes", {"customer": code}),
    ]
    assert [answer.status_code for answer in answers] == [200] * 4
    text = "\n".join(answer_text(answer) for answer in answers)
    assert missing_markers(account, text, API_MARKERS) == []


COLLECTION_MARKERS = {
    "task note",
    "activity note",
    "promise maker",
    "dispute description",
    "approval reason",
}


@pytest.mark.parametrize("role", SEEING)
def test_finance_and_admin_get_the_foreign_collection_work_from_the_api(role, world):
    client = api_client(world, role)
    code = world.foreign.customer.code
    answers = [
        client.get("/api/v1/activities", {"customer": code}),
        client.get("/api/v1/promises", {"customer": code, "status": "all"}),
        client.get("/api/v1/disputes", {"customer": code}),
        client.get("/api/v1/approvals", {"status": "all"}),
    ]
    if role == "admin":
        answers.append(client.get("/api/v1/tasks", {"rep": "*", "date": LATER}))
        names = COLLECTION_MARKERS
    else:
        names = COLLECTION_MARKERS - {"task note"}  # finance is not a manager: no one's worklist
    assert [answer.status_code for answer in answers] == [200] * len(answers)
    text = "\n".join(answer_text(answer) for answer in answers)
    assert missing_markers(world.foreign, text, names) == []


LETTER_MARKERS = {
    "letter number",
    "answered letter number",
    "reply note",
    "message subject",
    "message text",
    "attempt detail",
    "alert text",
}


@pytest.mark.parametrize("role", SEEING)
def test_finance_and_admin_see_the_foreign_letters_and_messages_on_their_pages(role, world):
    letters = world.foreign.letters
    client = client_as(world, role)
    pages = [
        client.get(reverse("documents:mark_sent", args=[letters.pending.pk])),
        client.get(reverse("documents:confirmation", args=[letters.answered.pk])),
        client.get(reverse("notifications:message", args=[letters.message.pk])),
    ]
    assert [page.status_code for page in pages] == [200] * len(pages)
    text = "\n".join(answer_text(page) for page in pages)
    assert missing_markers(world.foreign, text, LETTER_MARKERS) == []


@pytest.mark.parametrize("role", SEEING)
def test_finance_and_admin_get_the_foreign_letters_and_messages_from_the_api(role, world):
    letters = world.foreign.letters
    client = api_client(world, role)
    answers = [
        client.get(f"/api/v1/documents/{letters.pending.number}"),
        client.get("/api/v1/confirmations", {"customer": world.foreign.customer.code}),
        client.get(f"/api/v1/messages/{letters.message.pk}"),
        client.get("/api/v1/alerts"),
    ]
    assert [answer.status_code for answer in answers] == [200] * len(answers)
    text = "\n".join(answer_text(answer) for answer in answers)
    assert missing_markers(world.foreign, text, LETTER_MARKERS) == []
