"""`huikuan render-document KIND --customer CODE --as-of DATE --output FILE`: a letter as PDF.

Without ``--issue`` it only renders (nothing is stored: a preview or a one-off); with ``--issue``
the document is issued like from the pages (numbered, stored, audited) and its number printed.
Nothing is written to FILE unless the whole letter could be made.
"""

import os
import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huikuan.core.dates import parse_iso_date
from huikuan.core.errors import error_items
from huikuan.customers.models import Customer
from huikuan.documents.models import DocumentKind, Language
from huikuan.documents.render import html_to_pdf, render_html
from huikuan.documents.services import document_issue


class Command(BaseCommand):
    help = gettext_lazy(
        "Render a letter (statement, confirmation, overdue-notice, lawyer-letter) to a PDF file; "
        "with --issue also store it under a new number."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=DocumentKind.values)
        parser.add_argument("--customer", required=True, help="customer code")
        parser.add_argument("--as-of", required=True, help="YYYY-MM-DD")
        parser.add_argument("--output", required=True, help="PDF file to write")
        parser.add_argument("--from", dest="date_from", help="statement period start, YYYY-MM-DD")
        parser.add_argument("--language", choices=Language.values, default=Language.ZH_HANS)
        parser.add_argument(
            "--issue", action="store_true", help="store the document and print its number"
        )

    def handle(self, *args, **options):
        as_of = self._date(options["as_of"], "--as-of")
        date_from = self._date(options["date_from"], "--from") if options["date_from"] else None
        customer = Customer.objects.filter(code=options["customer"]).first()
        if customer is None:
            raise CommandError(
                _("No customer with the code %(code)s.") % {"code": options["customer"]}
            )
        try:
            if options["issue"]:
                document = document_issue(
                    kind=options["kind"],
                    customer=customer,
                    as_of=as_of,
                    actor=None,
                    language=options["language"],
                    date_from=date_from,
                )
                pdf, number = bytes(document.pdf), document.number
            else:
                rendered = render_html(
                    kind=options["kind"],
                    customer=customer,
                    as_of=as_of,
                    date_from=date_from,
                    language=options["language"],
                )
                pdf, number = html_to_pdf(rendered.html), None
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{item['field']}: {item['message']}" for item in error_items(exc))
            ) from None
        self._write(Path(options["output"]), pdf)
        if number:
            self.stdout.write(number)
        else:
            self.stdout.write(
                _("Wrote %(path)s (%(size)s bytes); nothing was stored.")
                % {"path": options["output"], "size": len(pdf)}
            )

    def _date(self, text: str, option: str):
        try:
            return parse_iso_date(text)
        except ValueError:
            raise CommandError(
                _("%(option)s must be a date like 2026-11-22, not %(value)r.")
                % {"option": option, "value": text}
            ) from None

    def _write(self, path: Path, data: bytes) -> None:
        # Write beside the target and rename: a reader never sees half a PDF.
        directory = path.resolve().parent
        if not directory.is_dir():
            raise CommandError(_("The folder %(path)s does not exist.") % {"path": directory})
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
