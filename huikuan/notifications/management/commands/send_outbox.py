"""`huikuan send-outbox`: send the messages that are due. Run it from cron (once per minute),
or as a service with ``--loop``; any number may run at once."""

import os
import signal
import socket
import time
import uuid

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huikuan.notifications import channels
from huikuan.notifications.worker import BatchResult, send_due


class Command(BaseCommand):
    help = gettext_lazy(
        "Send the queued emails, texts and group-robot messages that are due, then exit (or keep "
        "polling with --loop). Safe to run as several processes at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=50, help="messages claimed per pass")
        parser.add_argument("--loop", action="store_true", help="keep polling until stopped")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between polls")
        parser.add_argument("--worker-id", default="", help="name in the delivery log")

    def handle(self, *args, **options):
        if options["limit"] < 1 or options["interval"] <= 0:
            raise CommandError(_("--limit and --interval must be positive."))
        try:
            channels.check_configuration()
        except ImproperlyConfigured as exc:
            raise CommandError(
                _("Sending is not configured correctly: %(error)s") % {"error": exc}
            ) from None
        worker_id = options["worker_id"] or (
            f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        )
        stopping = []
        if options["loop"]:
            # SIGTERM (systemd, docker stop): finish the message in hand, give back the rest.
            signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
            signal.signal(signal.SIGINT, lambda signum, frame: stopping.append(signum))
        total = BatchResult()
        while True:
            batch = send_due(worker_id=worker_id, limit=options["limit"], stop=lambda: stopping)
            total.add(batch)
            if not options["loop"]:
                # A full batch means more may be due: keep going until the queue is drained.
                if batch.total < options["limit"]:
                    break
                continue
            if batch.total and batch.total >= options["limit"]:
                continue
            deadline = time.monotonic() + options["interval"]
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.1, options["interval"]))
            if stopping:
                break
        self.stdout.write(
            _(
                "Sent %(sent)d, to retry %(retried)d, failed %(failed)d, "
                "outcome unknown %(unknown)d."
            )
            % {
                "sent": total.sent,
                "retried": total.retried,
                "failed": total.failed,
                "unknown": total.unknown,
            }
        )
