import pytest


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    # These tests create many users; real password hashing would cost seconds per test and
    # proves nothing here (the login page's own tests check real sign-ins).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
