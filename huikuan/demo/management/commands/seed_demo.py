"""`huikuan seed-demo`: load a realistic demo distributor into an empty database."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huikuan.core.dates import business_today, parse_iso_date
from huikuan.core.errors import error_items
from huikuan.customers.models import Customer
from huikuan.demo.book import yuan
from huikuan.demo.console import pad
from huikuan.demo.seed import DEMO_LOGINS, SeedError, default_sizes, seed_demo
from huikuan.notifications.worker import send_due

DEFAULT_SEED = 2026


class Command(BaseCommand):
    help = gettext_lazy(
        "Load a realistic demo health-products distributor (customers, contracts, 24 months of "
        "deliveries, payments, credit notes, write-offs and reversals) and the demo logins into "
        "an empty database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=int,
            help=_("number of customers (default 150, or one per 40 receivables)"),
        )
        parser.add_argument(
            "--receivables",
            type=int,
            help=_("number of receivables in all (default 40 per customer)"),
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=_("random seed; the same seed and date give the same data"),
        )
        parser.add_argument(
            "--as-of", help=_("last day of the history, YYYY-MM-DD (default: today)")
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help=_("do nothing when the database already has customers"),
        )

    def handle(self, *args, **options):
        try:
            as_of = parse_iso_date(options["as_of"]) if options["as_of"] else business_today()
        except ValueError as exc:
            raise CommandError(_("--as-of: %(error)s") % {"error": exc}) from None
        for name in ("customers", "receivables"):
            if options[name] is not None and options[name] < (1 if name == "customers" else 0):
                raise CommandError(
                    _("--%(option)s: %(value)s is not a valid number.")
                    % {"option": name, "value": options[name]}
                )
        if Customer.objects.exists():
            if options["if_empty"]:
                self.stdout.write(_("The database already has customers: demo data not loaded."))
                return
            raise CommandError(
                _(
                    "The database already has customers. seed-demo loads into an empty database "
                    "only (use --if-empty to skip quietly)."
                )
            )
        customers, receivables = default_sizes(options["customers"], options["receivables"])
        self.stdout.write(
            _(
                "Loading demo data: %(customers)s customers, %(receivables)s receivables, "
                "seed %(seed)s, 24 months to %(as_of)s …"
            )
            % {
                "customers": customers,
                "receivables": receivables,
                "seed": options["seed"],
                "as_of": as_of.isoformat(),
            }
        )
        verbose = options["verbosity"] > 1
        try:
            result = seed_demo(
                customers=customers,
                receivables=receivables,
                seed=options["seed"],
                as_of=as_of,
                progress=(lambda message: self.stdout.write(message)) if verbose else None,
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"--{e['field']}: {e['message']}" for e in error_items(exc))
            ) from None
        except SeedError as exc:
            raise CommandError(str(exc)) from None
        self._summary(result)
        self._send_outbox()

    def _send_outbox(self):
        """Send the demo's queued emails at once — only in the drop mode (no SMTP host set),
        where they become .eml files under the var folder: demo addresses are made up, and a
        configured mail server must never get them."""
        if settings.HUIKUAN_EMAIL_HOST:
            self.stdout.write(
                _("The demo's emails wait in the outbox: run huikuan send-outbox to send them.")
            )
            return
        done = send_due(worker_id="seed-demo", limit=100)
        self.stdout.write(
            _(
                "Outbox: %(sent)s messages sent to %(folder)s (no SMTP server is set up), "
                "%(waiting)s waiting for a retry."
            )
            % {
                "sent": done.sent,
                "folder": settings.VAR_DIR / "mail-drop",
                "waiting": done.retried,
            }
        )

    def _summary(self, result):
        c, fen = result.counts, result.fen
        out = self.stdout.write

        def money(key):
            return f"¥{yuan(fen[key]):,.2f}"

        def parts(pairs):
            return ", ".join(f"{label} {c[key]}" for key, label in pairs if c[key])

        out(
            _("Demo data loaded in %(seconds).1f s (seed %(seed)s, as of %(as_of)s).")
            % {"seconds": result.seconds, "seed": result.seed, "as_of": result.as_of.isoformat()}
        )
        behaviours = ", ".join(f"{k} {v}" for k, v in sorted(result.behaviours.items()))
        rows = [
            (_("Customers"), c["customer"], behaviours),
            (_("Contacts"), c["contact"], ""),
            (
                _("Contracts"),
                c["contract"],
                _("%(n)s installment nodes") % {"n": c["installmentnode"]},
            ),
            (_("Deliveries"), c["delivery"], ""),
            (
                _("Receivables"),
                sum(v for k, v in c.items() if k.startswith("receivable.")),
                parts(
                    [
                        ("receivable.delivery", "delivery"),
                        ("receivable.installment", "installment"),
                        ("receivable.invoice", "invoice"),
                        ("receivable.opening", "opening"),
                    ]
                ),
            ),
            (
                _("Payments"),
                sum(v for k, v in c.items() if k.startswith("payment.")),
                parts(
                    [
                        ("payment.bank_transfer", "bank transfer"),
                        ("payment.acceptance_bill", "acceptance bill"),
                        ("payment.cash", "cash"),
                        ("payment.online", "online"),
                    ]
                ),
            ),
            (_("Credit notes"), c["credit_note"], ""),
            (_("Allocations"), c["allocation"], ""),
            (_("Write-offs"), c["write_off"], ""),
            (
                _("Reversals"),
                sum(v for k, v in c.items() if k.startswith("reversal.")),
                parts(
                    [
                        ("reversal.payment", "payment"),
                        ("reversal.allocation", "allocation"),
                        ("reversal.write_off", "write-off"),
                    ]
                ),
            ),
        ]
        for label, number, detail in rows:
            out(f"  {pad(label, 16)}{number:>10}  {detail}".rstrip())
        for label, key in (
            (_("Invoiced"), "invoiced"),
            (_("Received"), "payment"),
            (_("Bounced"), "payment_reversed"),
            (_("Credited"), "credit_note"),
            (_("Written off"), "written_off"),
            (_("Outstanding"), "outstanding"),
            (_("Unapplied credit"), "unapplied"),
        ):
            out(f"  {pad(label, 16)}{money(key):>22}")
        out(_("Ledger check: stored balances agree with the allocation rows."))
        k = result.collection
        out(
            _(
                "Collection history: %(activities)s contacts, %(promises)s promises (%(kept)s "
                "kept, %(broken)s broken, %(open)s open), %(disputes)s disputes (%(open_disputes)s "
                "open), %(approvals)s approval requests, %(events)s written demands and "
                "confirmations."
            )
            % {
                "activities": k["activity"],
                "promises": k["promise"],
                "kept": k["promise.kept"],
                "broken": k["promise.broken"],
                "open": k["promise.open"],
                "disputes": k["dispute"],
                "open_disputes": k["dispute.open"],
                "approvals": k["approvalrequest"],
                "events": k["limitationevent"],
            }
        )
        if result.run is not None:
            run = result.run
            out(
                _(
                    "Daily run for %(date)s: %(tasks)s new tasks, %(reminders)s of them reminders, "
                    "%(approvals)s approval requests, %(levels)s dunning levels reached."
                )
                % {
                    "date": run.as_of.isoformat(),
                    "tasks": run.tasks_created,
                    "reminders": run.reminders_created,
                    "approvals": run.approvals_raised,
                    "levels": run.levels_advanced,
                }
            )
        out(_("Demo logins (for the demo only, never on a real installation):"))
        for username, password, role in DEMO_LOGINS:
            out(f"  {username:<13}{password:<18}{role}")
        if result.users_created and len(result.users_created) < 13:
            out(_("Existing users were kept as they were: their passwords are unchanged."))
