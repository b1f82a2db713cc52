"""Fixtures shared by every app's tests: a clean world per test, built through the services."""

import pytest
from django.core.management import call_command
from django.db import connection


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (HUIKUAN_DATABASE_URL=postgres://…)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Factories create many users; the production hasher costs ~0.3 s each. Tests check who may
    sign in, not how hard the hash is to crack, so a cheap hasher keeps the suite fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def flushable_db(transactional_db):
    """Let a committing test's database be emptied afterwards on SQLite too.

    Tests with a live server (or other processes) commit their data, and pytest-django empties
    the database after each with ``flush``. On SQLite that is a DELETE per table, which the
    append-only triggers (ledger, audit, issued documents) refuse (on PostgreSQL it is a
    TRUNCATE, which row triggers never see). So, just before that, this empties the database
    itself with the triggers lifted for the moment, and puts the very same triggers back."""
    yield
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE %s",
            ["%append-only%"],
        )
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
    try:
        call_command("flush", interactive=False, verbosity=0)
    finally:
        with connection.cursor() as cursor:
            for _name, sql in triggers:
                cursor.execute(sql)
