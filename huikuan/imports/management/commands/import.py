"""`huikuan import` (a Python keyword, so the command lives in ``import_file``)."""

from .import_file import Command  # noqa: F401
