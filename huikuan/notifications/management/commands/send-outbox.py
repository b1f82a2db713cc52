"""`huikuan send-outbox` is the documented spelling of `huikuan send_outbox`."""

from .send_outbox import Command  # noqa: F401
