import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory

from huikuan.org.models import Role
from huikuan.web.decorators import role_required

pytestmark = pytest.mark.django_db


@role_required(Role.FINANCE, Role.ADMIN)
def book_payment(request):
    return HttpResponse("booked")


def call(user):
    request = RequestFactory().get("/ledger/payments/new/")
    request.user = user
    return book_payment(request)


def test_anonymous_visitors_are_sent_to_sign_in():
    response = call(AnonymousUser())
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("role", [Role.FINANCE, Role.ADMIN])
def test_the_named_roles_get_in(make_user, role):
    assert call(make_user(role)).content == b"booked"


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER])
def test_other_roles_get_the_forbidden_page(make_user, role):
    response = call(make_user(role))
    assert response.status_code == 403
    assert b"booked" not in response.content


def test_a_superuser_always_gets_in(make_user):
    assert call(make_user(Role.REP, is_superuser=True)).content == b"booked"


def test_an_inactive_user_is_kept_out(make_user):
    assert call(make_user(Role.FINANCE, is_active=False)).status_code != 200


def test_roles_must_be_known():
    with pytest.raises(ValueError):
        role_required("boss")
