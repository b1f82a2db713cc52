"""`huikuan daily`: the day's run — ratings and warning signals (``huikuan.risk.daily``), then
collection work (``huikuan.dunning.run``), then the day's messages into the outbox: the ladder's
reminder emails to customers, the reps' digest and the managers' alert about new strong signals
for the group robots."""

import json
import os
import signal

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huikuan.api.idempotency import idempotency_purge
from huikuan.core.dates import business_today, parse_iso_date
from huikuan.notifications.digest import day_messages_enqueue
from huikuan.risk.daily import run_daily

# Fault injection for the crash tests: HUIKUAN_FAILPOINT=daily:<step> kills this process with
# SIGKILL right after that step, inside the run's open transaction — like a power cut there.
FAILPOINT = "HUIKUAN_FAILPOINT"


class Command(BaseCommand):
    help = gettext_lazy(
        "Run the day's work: ratings and warning signals, then promises, dunning levels, tasks, "
        "approvals and limitation-period warnings. Safe to run again for the same date."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: today in Asia/Shanghai)")
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args, **options):
        try:
            as_of = parse_iso_date(options["as_of"]) if options["as_of"] else business_today()
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        result = run_daily(as_of=as_of, progress=self._progress(options["verbosity"]))
        # Also after a run that was already done: a crash between the run's commit and here
        # must not lose the day's digest, and the message keys make a second call a no-op.
        queued = day_messages_enqueue(as_of=as_of, now=timezone.now())
        # Stored API answers are kept a day for clients' retries (Idempotency-Key).
        idempotency_purge(now=timezone.now())
        if options["format"] == "json":
            payload = {"as_of": as_of.isoformat(), "already_done": result.already_done}
            payload.update(result.counts())
            payload["messages_queued"] = queued
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        if result.already_done:
            self.stdout.write(
                _("The daily run for %(day)s was already done; nothing changed.")
                % {"day": as_of.isoformat()}
            )
            return
        self.stdout.write(_("Daily run for %(day)s:") % {"day": as_of.isoformat()})
        labels = {
            "cases_opened": _("cases opened"),
            "cases_closed": _("cases closed"),
            "classes_changed": _("classes changed"),
            "levels_advanced": _("receivables moved up the ladder"),
            "reminders_created": _("reminders before due date"),
            "tasks_created": _("tasks created"),
            "approvals_raised": _("approval requests raised"),
            "promises_kept": _("promises kept"),
            "promises_broken": _("promises broken"),
            "limitation_warnings": _("limitation-period warnings"),
            "tasks_cancelled": _("tasks cancelled (paid)"),
            "ratings_changed": _("customer ratings changed"),
            "signals_raised": _("warning signals raised"),
        }
        for key, value in result.counts().items():
            self.stdout.write(f"  {labels[key]}: {value}")
        self.stdout.write(f"  {_('messages queued')}: {queued}")

    def _progress(self, verbosity):
        failpoint = os.environ.get(FAILPOINT, "")

        def progress(step: str) -> None:
            if verbosity >= 2:
                self.stderr.write(f"step {step} done")
                self.stderr.flush()
            if failpoint == f"daily:{step}":
                os.kill(os.getpid(), signal.SIGKILL)

        return progress
