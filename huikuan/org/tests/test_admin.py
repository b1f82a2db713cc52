"""The Django admin: every model opens, posted documents cannot be touched, Chinese by default.

One small world holds at least one row of every registered model, built through the services
so the pages show what real use produces.
"""

from datetime import date
from decimal import Decimal

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huikuan.api.models import ApiToken
from huikuan.api.services import api_token_create
from huikuan.audit.models import AuditEntry
from huikuan.contracts.models import Contract, Delivery, InstallmentNode
from huikuan.contracts.services import contract_create
from huikuan.customers.models import ContactRole, Customer, PaymentProcess
from huikuan.customers.services import contact_add, payment_process_set
from huikuan.ledger import services
from huikuan.ledger.models import Allocation, Payment, Receivable, Reversal, WriteOff
from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role

D = Decimal
VIEW_ONLY = [Receivable, Payment, Allocation, WriteOff, Reversal, AuditEntry]
# Apps whose every registered model the world below must hold a row of.
WORLD_APPS = {"auth", "org", "customers", "contracts", "ledger", "audit", "api"}


def _url(model, view, *args):
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


@pytest.fixture
def world(db, admin_user):
    east = f.region("EAST")
    team = f.team("华东一组", reg=east)
    boss = f.user(Role.MANAGER, username="boss", region=east, team=team)
    rep = f.user(Role.REP, username="rep", region=east, team=team, manager=boss, phone="139")
    customer = f.customer("A", name="甲医药公司", region=east, owner=rep, credit_limit=D("5000"))
    finance = contact_add(customer=customer, name="王会计", role=ContactRole.FINANCE)
    payment_process_set(customer=customer, request_recipient=finance, settlement_day=25)
    contract = contract_create(
        customer=customer,
        number="HT-1",
        signed_on=date(2026, 1, 1),
        amount="300.00",
        installments=[(date(2026, 2, 1), "100.00"), (date(2026, 3, 1), "200.00")],
    )
    services.installments_post(contract=contract)
    services.delivery_record(
        customer=customer, number="DL-1", delivered_on=date(2026, 1, 10), amount="50.00"
    )
    invoice = f.receivable(
        customer, number="INV-1", amount="1234.50", issue=date(2026, 1, 5), due=date(2026, 1, 20)
    )
    payment = f.payment(customer, number="PAY-1", amount="80.00", on=date(2026, 2, 10))
    services.allocation_reverse(
        allocation=payment.allocations.get(), on=date(2026, 2, 20), reason="付款方弄错了"
    )
    services.receivable_write_off(receivable=invoice, on=date(2026, 3, 1), reason="债务人破产")
    api_token_create(user=admin_user, name="ERP")
    Group.objects.create(name="财务")
    return {"customer": customer, "contract": contract, "invoice": invoice, "contact": finance}


@pytest.mark.parametrize(
    "model", list(admin.site._registry), ids=lambda model: model._meta.label_lower
)
def test_superuser_opens_every_registered_model_list_and_object_page(admin_client, world, model):
    obj = model._default_manager.order_by("pk").first()
    if model._meta.app_label in WORLD_APPS:
        assert obj is not None, f"the test world has no {model._meta.label}: add one"

    assert admin_client.get(_url(model, "changelist")).status_code == 200
    if obj is not None:
        assert admin_client.get(_url(model, "change", obj.pk)).status_code == 200


def test_admin_index_is_in_chinese_by_default(admin_client, world):
    page = admin_client.get("/admin/").content.decode()

    assert 'lang="zh-hans"' in page
    assert "回款 Huikuan" in page
    assert "最近动作" in page  # Django's own "Recent actions"


@pytest.mark.parametrize("model", VIEW_ONLY, ids=lambda model: model._meta.label_lower)
def test_posted_documents_and_audit_trail_offer_no_add_change_or_delete(
    admin_client, admin_user, rf, world, model
):
    model_admin = admin.site._registry[model]
    request = rf.get("/admin/")
    request.user = admin_user
    obj = model._default_manager.order_by("pk").first()

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, obj)
    assert not model_admin.has_delete_permission(request, obj)
    assert model_admin.get_actions(request) == {}
    listing = admin_client.get(_url(model, "changelist")).content.decode()
    assert _url(model, "add") not in listing
    assert admin_client.get(_url(model, "add")).status_code == 403
    assert admin_client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=obj.pk).exists()


def test_posting_a_new_amount_to_a_receivable_through_the_admin_changes_nothing(
    admin_client, world
):
    invoice = world["invoice"]

    response = admin_client.post(
        _url(Receivable, "change", invoice.pk),
        {
            "number": "INV-1",
            "customer": invoice.customer_id,
            "amount": "1.00",
            "outstanding": "0.00",
            "issue_date": "2026-01-05",
            "due_date": "2026-01-20",
        },
    )

    assert response.status_code == 403
    invoice.refresh_from_db()
    assert (invoice.amount, invoice.outstanding) == (D("1234.50"), D("0.00"))


def test_receivable_list_shows_yuan_with_two_places_and_iso_dates(admin_client, world):
    page = admin_client.get(_url(Receivable, "changelist")).content.decode()

    assert "¥1,234.50" in page
    assert "2026-01-05" in page and "2026-01-20" in page
    assert "2026年1月5日" not in page


def test_receivable_view_page_shows_its_settlements(admin_client, world):
    page = admin_client.get(_url(Receivable, "change", world["invoice"].pk)).content.decode()

    assert "¥1,234.50" in page  # amount, and the write-off that settled it
    assert "2026-03-01" in page


def test_receivable_list_costs_the_same_queries_for_many_rows_as_for_few(admin_client, world):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(_url(Receivable, "changelist")).status_code == 200
        return len(captured)

    few = queries()
    for n in range(10):
        f.receivable(f.customer(f"X{n}", region=f.region(f"R{n}")), number=f"MANY-{n}")
    assert queries() == few


def test_searching_receivables_finds_an_exact_number_or_the_customers_name(admin_client, world):
    other = f.customer("B", name="乙商贸")
    f.receivable(other, number="INV-2")
    url = _url(Receivable, "changelist")

    by_number = admin_client.get(url, {"q": "INV-2"}).content.decode()
    by_name = admin_client.get(url, {"q": "甲医药"}).content.decode()

    assert "INV-2" in by_number and "INV-1" not in by_number
    assert "INV-1" in by_name and "INV-2" not in by_name


def test_receivables_filter_by_due_year_between_the_first_and_last(admin_client, world):
    old = f.receivable(world["customer"], number="OLD-1", issue=date(2024, 3, 1))
    url = _url(Receivable, "changelist")

    listing = admin_client.get(url)
    only_2024 = admin_client.get(url, {"due_date_year": "2024"}).content.decode()

    year_filter = next(
        spec
        for spec in listing.context["cl"].filter_specs
        if spec.parameter_name == "due_date_year"
    )
    assert [value for value, _label in year_filter.lookup_choices] == ["2026", "2025", "2024"]
    assert old.number in only_2024 and "INV-1" not in only_2024


def test_a_hand_made_sort_by_amount_is_ignored_on_the_receivable_list(admin_client, world):
    amount_column = admin.site._registry[Receivable].list_display.index("amount_display")

    response = admin_client.get(_url(Receivable, "changelist"), {"o": str(amount_column)})

    assert "amount" not in response.context["cl"].get_ordering(
        response.wsgi_request, response.context["cl"].queryset
    )


def _form_data(response) -> dict:
    """What the browser would send back for the change page in ``response``, unchanged."""
    all_forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        all_forms.append(inline.formset.management_form)
        all_forms.extend(inline.formset.forms)
    data = {}
    for form in all_forms:
        for name, field in form.fields.items():
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(field, forms.BooleanField):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            else:
                data[key] = "" if value is None else str(value)
    return data


def test_changing_a_credit_limit_in_the_admin_leaves_an_audit_line(admin_client, admin_user, world):
    customer = world["customer"]
    url = _url(Customer, "change", customer.pk)
    data = _form_data(admin_client.get(url))
    data["credit_limit"] = "8000.00"

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.credit_limit == D("8000.00")
    entry = AuditEntry.objects.filter(action="customer.update").get()
    assert entry.actor == admin_user
    assert (entry.before["credit_limit"], entry.after["credit_limit"]) == ("5000.00", "8000.00")


def test_a_customer_added_in_the_admin_gets_its_payment_process_and_an_audit_line(
    admin_client, admin_user, world
):
    response = admin_client.post(
        _url(Customer, "add"),
        {
            "code": "NEW",
            "name": "丙卫生院",
            "status": "active",
            "distance_km": "12",
            "credit_limit": "1000.00",
            "payment_terms_days": "60",
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "0",
            "contacts-0-name": "李出纳",
            "contacts-0-role": ContactRole.CASHIER,
            "contacts-0-is_active": "on",
        },
    )

    assert response.status_code == 302
    customer = Customer.objects.get(code="NEW")
    assert customer.credit_limit == D("1000.00")
    assert [c.name for c in customer.contacts.all()] == ["李出纳"]
    assert PaymentProcess.objects.filter(customer=customer).exists()
    assert AuditEntry.objects.filter(
        action="customer.create", object_id=str(customer.pk), actor=admin_user
    ).exists()


def test_payment_process_offers_only_the_customers_own_contacts(admin_client, world):
    stranger = f.customer("B", name="乙商贸")
    contact_add(customer=stranger, name="外人", role=ContactRole.BOSS)

    response = admin_client.get(_url(Customer, "change", world["customer"].pk))

    process_formset = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is PaymentProcess
    )
    choices = process_formset.forms[0].fields["signer"].queryset
    assert list(choices) == [world["contact"]]


def _contract_data(admin_client, contract):
    url = _url(Contract, "change", contract.pk)
    return url, _form_data(admin_client.get(url))


def test_installments_that_miss_the_contract_amount_are_refused(admin_client, world):
    url, data = _contract_data(admin_client, world["contract"])
    data["amount"] = "350.00"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    # The message is in the user's language (Chinese by default); both figures must be in it.
    message = str(response.context["inline_admin_formsets"][0].formset.non_form_errors())
    assert "300.00" in message and "350.00" in message
    assert Contract.objects.get(pk=world["contract"].pk).amount == D("300.00")


def test_a_posted_installment_keeps_its_amount_and_due_date(admin_client, world):
    url, data = _contract_data(admin_client, world["contract"])
    data["amount"] = "300.00"
    data["nodes-0-amount"] = "150.00"
    data["nodes-1-amount"] = "150.00"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.forms[0].errors
    assert "HT-1-01" in str(errors["amount"])  # names the receivable it was posted as
    amounts = InstallmentNode.objects.filter(contract=world["contract"]).values_list(
        "amount", flat=True
    )
    assert sorted(amounts) == [D("100.00"), D("200.00")]


def test_a_contract_added_in_the_admin_is_audited_with_its_installments(
    admin_client, admin_user, world
):
    response = admin_client.post(
        _url(Contract, "add"),
        {
            "number": "HT-2",
            "customer": world["customer"].pk,
            "signed_on": "2026-04-01",
            "seal_kind": "contract_seal",
            "amount": "500.00",
            "currency": "CNY",
            "late_fee_per_day_bp": "0",
            "nodes-TOTAL_FORMS": "2",
            "nodes-INITIAL_FORMS": "0",
            "nodes-0-sequence": "1",
            "nodes-0-due_date": "2026-05-01",
            "nodes-0-amount": "200.00",
            "nodes-1-sequence": "2",
            "nodes-1-due_date": "2026-06-01",
            "nodes-1-amount": "300.00",
        },
    )

    assert response.status_code == 302
    contract = Contract.objects.get(number="HT-2")
    assert [n.amount for n in contract.nodes.order_by("sequence")] == [D("200.00"), D("300.00")]
    assert AuditEntry.objects.filter(action="contract.create", actor=admin_user).exists()


def test_deliveries_are_not_added_or_deleted_in_the_admin(admin_client, world):
    delivery = Delivery.objects.get(number="DL-1")

    assert admin_client.get(_url(Delivery, "add")).status_code == 403
    assert (
        admin_client.post(_url(Delivery, "delete", delivery.pk), {"post": "yes"}).status_code == 403
    )


def test_api_token_page_never_shows_the_key_hash_and_cannot_add_or_delete(admin_client, world):
    token = ApiToken.objects.get()

    page = admin_client.get(_url(ApiToken, "change", token.pk)).content.decode()

    assert token.prefix in page
    assert token.key_hash not in page
    assert admin_client.get(_url(ApiToken, "add")).status_code == 403
    assert admin_client.post(_url(ApiToken, "delete", token.pk), {"post": "yes"}).status_code == 403


def test_revoking_api_tokens_from_the_list_is_audited_and_sticks(admin_client, admin_user, world):
    token = ApiToken.objects.get()

    response = admin_client.post(
        _url(ApiToken, "changelist"),
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
    )

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked
    entry = AuditEntry.objects.get(action="api_token.revoke")
    assert (entry.actor, entry.after) == (admin_user, {"revoked": True})
    # A revoked token has nothing left to edit: the box cannot be unticked.
    page = admin_client.get(_url(ApiToken, "change", token.pk)).content.decode()
    assert 'name="revoked"' not in page


def test_ticking_revoked_on_a_token_page_revokes_it_through_the_audited_service(
    admin_client, admin_user, world
):
    token = ApiToken.objects.get()

    response = admin_client.post(_url(ApiToken, "change", token.pk), {"revoked": "on"})

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked
    assert AuditEntry.objects.filter(action="api_token.revoke", actor=admin_user).count() == 1
