"""`huikuan render-document` is the documented spelling of `huikuan render_document`."""

from .render_document import Command  # noqa: F401
