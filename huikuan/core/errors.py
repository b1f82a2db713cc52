"""One way to reject bad input: a ``ValidationError`` keyed by the field at fault.

Views, the API and commands show ``field: message`` to the user; a service raises before it writes
anything, and inside ``transaction.atomic`` so that a late failure rolls everything back.
"""

from django.core.exceptions import ValidationError


def invalid(field: str, message: str, code: str = "invalid") -> ValidationError:
    """Build the error for one field; ``raise invalid("amount", _("…"))``."""
    return ValidationError({field: [ValidationError(message, code=code)]})


def error_items(error: ValidationError) -> list[dict]:
    """Flatten a ``ValidationError`` into ``[{"field": …, "message": …}]`` for APIs and the CLI."""
    if hasattr(error, "error_dict"):
        return [
            {"field": field, "message": str(message)}
            for field, errors in error.message_dict.items()
            for message in errors
        ]
    return [{"field": "__all__", "message": str(message)} for message in error.messages]
