import pytest

from huikuan.org.models import Role

pytestmark = pytest.mark.django_db

PAYMENTS = 'href="/ledger/payments/"'
ADMIN = 'href="/admin/"'


@pytest.mark.parametrize(
    ("role", "payments", "admin"),
    [
        (Role.REP, False, False),
        (Role.MANAGER, False, False),
        (Role.FINANCE, True, False),
        (Role.ADMIN, True, True),
    ],
)
def test_the_menu_offers_payments_to_finance_and_admin_only(
    client, make_user, role, payments, admin
):
    client.force_login(make_user(role))
    body = client.get("/").content.decode()
    assert (PAYMENTS in body) is payments
    assert (ADMIN in body) is admin
    for path in ("/customers/", "/ledger/receivables/", "/reports/aging/"):
        assert f'href="{path}"' in body


def test_the_current_section_is_marked(client, rep):
    client.force_login(rep)
    body = client.get("/").content.decode()
    assert '<a href="/" class="active" aria-current="page">' in body


def test_the_menu_shows_who_is_signed_in_and_a_sign_out_form(client, rep):
    client.force_login(rep)
    body = client.get("/").content.decode()
    assert "张三" in body
    assert rep.get_role_display() in body
    assert 'action="/logout/"' in body and 'method="post"' in body
