"""Helpers for tests that read rendered pages."""

import re

_TOKEN = re.compile(r"[A-Za-z0-9]{32,}")


def without_tokens(html: str) -> str:
    """The page without its random CSRF tokens (64 letters and digits), in which a short document
    number such as "R5" can turn up by chance and make a "not in" check fail or pass wrongly."""
    return _TOKEN.sub("", html)
