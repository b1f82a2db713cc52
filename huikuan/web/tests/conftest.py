import pytest

from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role

PASSWORD = "correct-horse-42"


@pytest.fixture
def make_user(db):
    def make(role=Role.REP, **fields):
        person = f.user(role, **fields)
        person.set_password(PASSWORD)
        person.save()
        return person

    return make


@pytest.fixture
def rep(make_user):
    return make_user(Role.REP, last_name="张", first_name="三")


@pytest.fixture
def finance(make_user):
    return make_user(Role.FINANCE, last_name="王", first_name="会计")
