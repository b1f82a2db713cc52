"""`huikuan create-api-token` is the documented spelling of `huikuan create_api_token`."""

from .create_api_token import Command  # noqa: F401
