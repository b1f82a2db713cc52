"""`huikuan import KIND FILE [--mapping NAME] [--dry-run]`: import an Excel or CSV file from the
command line — the same checks and the same all-or-nothing commit as the import page."""

import sys
from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huikuan.core.dates import business_today
from huikuan.core.errors import error_items
from huikuan.imports.kinds import kind_spec
from huikuan.imports.models import ImportKind, ImportStatus
from huikuan.imports.services import import_run

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = gettext_lazy(
        "Import customers, contacts, contracts, deliveries, receivables, payments or opening "
        "balances from an .xlsx or .csv file (UTF-8 or GBK). Every row is checked first; with "
        "any bad row nothing is imported and each one is listed. Importing the same file again "
        "changes nothing; a corrected file updates the records by their number."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ImportKind.values, help=_("what the file holds"))
        parser.add_argument("file", help=_("path of the .xlsx or .csv file"))
        parser.add_argument("--mapping", default="", help=_("name of a saved column mapping"))
        parser.add_argument(
            "--dry-run", action="store_true", help=_("check the file and report; write nothing")
        )
        parser.add_argument(
            "--as-of", type=date.fromisoformat, help=_("the import's date (default today)")
        )
        parser.add_argument(
            "--user",
            default="",
            help=_("user name to import as (default: the first active superuser)"),
        )

    def _actor(self, username: str):
        users = get_user_model().objects.filter(is_active=True)
        actor = (
            users.filter(username=username).first()
            if username
            else users.filter(is_superuser=True).order_by("pk").first()
        )
        if actor is None:
            raise CommandError(
                _("No active user %(name)s.") % {"name": username}
                if username
                else _("No active superuser to import as; give --user.")
            )
        return actor

    def handle(self, *args, kind, file, mapping, dry_run, as_of, user, **options):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(path)s: %(reason)s") % {"path": file, "reason": exc.strerror}
            ) from None
        actor = self._actor(user)
        try:
            batch = import_run(
                kind=kind,
                file_name=path.name,
                content=content,
                actor=actor,
                mapping_name=mapping,
                as_of=as_of or business_today(),
                dry_run=dry_run,
                progress=self._progress(options["verbosity"]),
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{item['field']}: {item['message']}" for item in error_items(exc))
            ) from None
        self._report(batch)
        if batch.status != ImportStatus.COMMITTED and not (dry_run and batch.can_commit):
            sys.exit(1)

    def _progress(self, verbosity):
        def progress(step: str) -> None:
            if verbosity >= 2:
                self.stderr.write(f"step {step} done")
                self.stderr.flush()

        return progress

    def _report(self, batch) -> None:
        spec = kind_spec(batch.kind)
        out = self.stdout
        facts = [batch.file_format]
        if batch.encoding:
            facts.append(batch.encoding)
        if batch.sheet_name:
            facts.append(_("sheet %(name)s") % {"name": batch.sheet_name})
        facts.append(_("header on row %(row)s") % {"row": batch.header_row})
        out.write(f"{batch.file_name}: {', '.join(facts)}")
        for key in batch.missing:
            out.write(
                _("Missing column: %(field)s (none of the headers is known for it).")
                % {"field": spec.field(key).label}
            )
        out.write(
            _(
                "%(rows)s data rows: %(new)s new, %(changed)s changed, %(same)s unchanged, "
                "%(bad)s with errors."
            )
            % {
                "rows": batch.rows_total,
                "new": batch.to_create,
                "changed": batch.to_update,
                "same": batch.unchanged,
                "bad": batch.error_count,
            }
        )
        for error in batch.errors[:SHOWN_ERRORS]:
            out.write(
                _("Row %(row)s · %(column)s · %(message)s")
                % {"row": error["row"], "column": error["column"], "message": error["message"]}
            )
        if batch.error_count and len(batch.errors) > SHOWN_ERRORS:
            out.write(_("… and more: see import #%(id)s on the import page.") % {"id": batch.pk})
        if batch.status == ImportStatus.COMMITTED:
            out.write(_("Imported as #%(id)s.") % {"id": batch.pk})
        elif batch.can_commit:
            out.write(_("Dry run: nothing was written (preview #%(id)s).") % {"id": batch.pk})
        else:
            out.write(_("Nothing was imported."))
