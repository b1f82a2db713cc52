"""`huikuan bench aging|daily|credit-check|letters|import`: how fast are per-customer aging, the
daily run, the order-stage credit check, letters and the outbox, and importing a big sheet on this
database?"""

import os
import secrets
import time
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huikuan.core.dates import business_today
from huikuan.core.errors import error_items
from huikuan.demo import bench_import
from huikuan.demo import bench_letters as letters
from huikuan.demo.bench import (
    BenchRefused,
    analyze,
    customer_count,
    measure,
    open_count,
    reusable_bench,
    seed_bench,
    totals_agree,
)
from huikuan.demo.bench_credit import TARGET_P99_MS, BenchFailed, prepare, prepared, time_checks
from huikuan.demo.bench_daily import TARGET_SECONDS, run_dates, sizes, state, timed_run
from huikuan.demo.console import pad, width

DEFAULT_SEED = 7


class Command(BaseCommand):
    help = gettext_lazy(
        "Benchmarks. `bench aging --receivables N` seeds N open receivables into a database of "
        "its own (once; later runs with the same sizes reuse them) and times per-customer aging "
        "today and a year back against a raw GROUP BY floor. `bench daily` times the daily "
        "dunning run over the same data: two dates not run yet, then a rerun that must change "
        "nothing. `bench credit-check` times POST /api/v1/credit-check requests over the same "
        "data and prints their p50, p95, p99 and max. `bench letters` times issuing each kind "
        "of letter as a PDF for the customers with the most overdue items, then queues emails "
        "(some with a letter attached) and sends them with several outbox workers to an SMTP "
        "server of its own, checking that each arrived exactly once; the letters and the "
        "messages (keys bench:letters:…) stay in the database."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="benchmark", required=True)
        aging = sub.add_parser("aging", help=_("per-customer aging report"))
        aging.add_argument(
            "--receivables", type=int, required=True, help=_("open receivables to seed")
        )
        aging.add_argument(
            "--customers", type=int, help=_("customers to spread them over (default N/10)")
        )
        aging.add_argument("--seed", type=int, default=DEFAULT_SEED, help=_("random seed"))
        aging.add_argument(
            "--repeat", type=int, default=3, help=_("runs of each query; the best one counts")
        )
        aging.add_argument(
            "--allow-existing-data",
            action="store_true",
            help=_("add the benchmark data even though the database holds other ledger data"),
        )
        daily = sub.add_parser("daily", help=_("the daily dunning run"))
        daily.add_argument(
            "--receivables",
            type=int,
            default=1_000_000,
            help=_("open receivables to seed (default 1000000)"),
        )
        daily.add_argument(
            "--customers",
            type=int,
            help=_("customers to spread them over (default N/10)"),
        )
        daily.add_argument("--seed", type=int, default=DEFAULT_SEED, help=_("random seed"))
        daily.add_argument(
            "--allow-existing-data",
            action="store_true",
            help=_("add the benchmark data even though the database holds other ledger data"),
        )

        credit = sub.add_parser("credit-check", help=_("the order-stage credit check (API)"))
        credit.add_argument(
            "--receivables",
            type=int,
            default=1_000_000,
            help=_("open receivables to seed (default 1000000)"),
        )
        credit.add_argument(
            "--customers", type=int, help=_("customers to spread them over (default N/10)")
        )
        credit.add_argument(
            "--checks", type=int, default=2000, help=_("credit checks to time (default 2000)")
        )
        credit.add_argument("--seed", type=int, default=DEFAULT_SEED, help=_("random seed"))
        credit.add_argument(
            "--allow-existing-data",
            action="store_true",
            help=_("add the benchmark data even though the database holds other ledger data"),
        )

        letters_cmd = sub.add_parser(
            "letters",
            help=_("letters as PDF and the outbox"),
            description=_(
                "Times document_issue for each kind of letter, then message_enqueue and send_due "
                "with several workers against a local SMTP server (aiosmtpd; without it, the drop "
                "mode). The issued letters and the queued messages (keys bench:letters:…) stay in "
                "the database, like the credit check's decisions; each attached letter counts as "
                "sent by email."
            ),
        )
        letters_cmd.add_argument(
            "--receivables",
            type=int,
            default=100_000,
            help=_("open receivables to seed (default 100000)"),
        )
        letters_cmd.add_argument(
            "--customers", type=int, help=_("customers to spread them over (default N/10)")
        )
        letters_cmd.add_argument(
            "--letters", type=int, default=20, help=_("letters of each kind to time (default 20)")
        )
        letters_cmd.add_argument(
            "--messages", type=int, default=2000, help=_("emails to queue and send (default 2000)")
        )
        letters_cmd.add_argument(
            "--with-pdf",
            type=int,
            default=10,
            help=_("percentage of the emails with a letter attached (default 10)"),
        )
        letters_cmd.add_argument(
            "--workers", type=int, default=2, help=_("outbox workers at once (default 2)")
        )
        letters_cmd.add_argument(
            "--threads",
            action="store_true",
            help=_("run the workers as threads of this process instead of processes"),
        )
        letters_cmd.add_argument(
            "--batch", type=int, default=50, help=_("messages a worker claims at a time")
        )
        letters_cmd.add_argument(
            "--drop",
            action="store_true",
            help=_("write the emails as files (the drop mode) instead of sending them by SMTP"),
        )
        letters_cmd.add_argument("--seed", type=int, default=DEFAULT_SEED, help=_("random seed"))
        importing = sub.add_parser("import", help=_("importing a big sheet of receivables"))
        importing.add_argument(
            "--rows", type=int, default=100_000, help=_("receivables in the file (default 100000)")
        )
        importing.add_argument(
            "--customers", type=int, default=2000, help=_("customers they belong to (default 2000)")
        )
        importing.add_argument(
            "--format", choices=("xlsx", "csv"), default="xlsx", help=_("file format")
        )
        importing.add_argument("--seed", type=int, default=DEFAULT_SEED, help=_("random seed"))
        letters_cmd.add_argument(
            "--allow-existing-data",
            action="store_true",
            help=_("add the benchmark data even though the database holds other ledger data"),
        )

    def _import(self, options):
        import tempfile
        from pathlib import Path

        from django.contrib.auth import get_user_model

        out = self.stdout.write
        actor = (
            get_user_model()
            .objects.filter(is_active=True, is_superuser=True)
            .order_by("pk")
            .first()
        )
        if actor is None:
            actor = get_user_model().objects.create_superuser(
                "bench-import", password=secrets.token_urlsafe(16)
            )
        as_of = business_today()
        count = options["rows"]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"receivables.{options['format']}"
            started = time.perf_counter()
            data = bench_import.rows(
                count=count, customers=options["customers"], as_of=as_of, seed=options["seed"]
            )
            if options["format"] == "csv":
                bench_import.write_csv(path, data)
            else:
                bench_import.write_xlsx(path, data)
            out(
                _("Wrote %(rows)s receivables to %(format)s (%(mb).1f MB) in %(s).1f s.")
                % {
                    "rows": count,
                    "format": options["format"],
                    "mb": path.stat().st_size / 2**20,
                    "s": time.perf_counter() - started,
                }
            )
            self._database_line()
            first = bench_import.timed_import(path=path, actor=actor, as_of=as_of)
            again = bench_import.timed_import(path=path, actor=actor, as_of=as_of)
        for timing, what in ((first, _("import")), (again, _("same file again"))):
            batch = timing.batch
            steps = ", ".join(f"{step} {seconds:.2f}" for step, seconds in timing.steps.items())
            out(
                _(
                    "%(what)s: %(seconds).2f s — %(new)s new, %(changed)s changed, %(same)s "
                    "unchanged, %(bad)s with errors; status %(status)s (steps: %(steps)s)."
                )
                % {
                    "what": what,
                    "seconds": timing.seconds,
                    "new": batch.to_create,
                    "changed": batch.to_update,
                    "same": batch.unchanged,
                    "bad": batch.error_count,
                    "status": batch.status,
                    "steps": steps,
                }
            )
        peak = bench_import.peak_mb()
        met = first.seconds <= bench_import.TARGET_SECONDS and peak <= bench_import.TARGET_MB
        out(
            _(
                "Import of %(rows)s rows %(seconds).1f s (target %(target)s s), peak memory "
                "%(mb).0f MB (target %(target_mb)s MB): %(verdict)s."
            )
            % {
                "rows": count,
                "seconds": first.seconds,
                "target": bench_import.TARGET_SECONDS,
                "mb": peak,
                "target_mb": bench_import.TARGET_MB,
                "verdict": _("met") if met else _("missed"),
            }
        )
        if first.batch.to_create != count or again.batch.to_create or again.batch.to_update:
            raise CommandError(_("The import did not create every row once."))

    def _daily(self, options):
        receivables = options["receivables"]
        seeded_on = self._data(options, default_customers=max(1, receivables // 10))
        open_receivables, customers = sizes()
        self._database_line()
        first, second = run_dates(seeded_on=seeded_on)
        out = self.stdout.write
        runs = [
            (timed_run(first), _("first date not run yet")),
            (timed_run(second), _("the next working day")),
        ]
        for timing, what in runs:
            self._report_run(timing, what, open_receivables, customers)
        before = state()
        rerun = timed_run(second)
        unchanged = state() == before
        out("")
        out(
            _(
                "Rerun of %(date)s: already done: %(done)s, %(seconds).3f s, "
                "changed nothing: %(same)s."
            )
            % {
                "date": second.isoformat(),
                "done": _("yes") if rerun.result.already_done else _("no"),
                "seconds": rerun.seconds,
                "same": _("yes") if unchanged else _("no"),
            }
        )
        slowest = max(timing.seconds for timing, _what in runs)
        out(
            _("Slowest run %(seconds).1f s; target %(target)s s: %(verdict)s.")
            % {
                "seconds": slowest,
                "target": TARGET_SECONDS,
                "verdict": _("met") if slowest <= TARGET_SECONDS else _("missed"),
            }
        )
        if not (rerun.result.already_done and unchanged):
            raise CommandError(_("the rerun of a date already run changed something"))

    def _credit_check(self, options):
        if options["checks"] < 1:
            raise CommandError(_("--checks: give at least 1."))
        receivables = options["receivables"]
        default_customers = max(1, receivables // 10)
        seeded_on = self._data(options, default_customers=default_customers)
        customers = options["customers"] or default_customers
        key = f"{receivables}:{customers}:{options['seed']}"
        out = self.stdout.write
        if prepared(key=key):
            out(_("Reusing the credit limits and ratings set on the benchmark customers."))
        else:
            started = time.perf_counter()
            count = prepare(key=key, as_of=seeded_on)
            analyze()
            out(
                _(
                    "Gave %(count)s customers a credit limit, a first-deal date and a rating in "
                    "%(seconds).1f s."
                )
                % {"count": count, "seconds": time.perf_counter() - started}
            )
        self._database_line()
        load_before = os.getloadavg()[0]
        try:
            timings = time_checks(checks=options["checks"], seed=options["seed"])
        except BenchFailed as exc:
            raise CommandError(_("A credit check failed: %(answer)s") % {"answer": exc}) from None
        stats = timings.stats()
        out("")
        out(
            _(
                "POST /api/v1/credit-check through the test client with a bearer token: "
                "%(count)s requests timed (%(warmup)s warm-up requests before them not counted)."
            )
            % {"count": timings.count, "warmup": timings.warmup}
        )
        out(f"  {'count':>6}  {'p50':>8}  {'p95':>8}  {'p99':>8}  {'max':>8}  (ms)")
        out(
            f"  {timings.count:>6}  {stats['p50']:>8.2f}  {stats['p95']:>8.2f}  "
            f"{stats['p99']:>8.2f}  {stats['max']:>8.2f}"
        )
        out(
            _(
                "  CPU time of this process per request: p50 %(cpu).2f ms (the rest of the time "
                "is the database and waiting for a CPU); load average %(before).1f before, "
                "%(after).1f after, on %(cpus)s CPUs."
            )
            % {
                "cpu": stats["cpu_p50"],
                "before": load_before,
                "after": os.getloadavg()[0],
                "cpus": os.cpu_count(),
            }
        )
        out(
            _("  decisions: %(mix)s")
            % {"mix": ", ".join(f"{k} {v}" for k, v in sorted(timings.decisions.items()))}
        )
        out(
            _("p99 %(p99).2f ms; target %(target)s ms: %(verdict)s.")
            % {
                "p99": stats["p99"],
                "target": TARGET_P99_MS,
                "verdict": _("met") if stats["p99"] <= TARGET_P99_MS else _("missed"),
            }
        )

    def _report_run(self, timing, what, open_receivables, customers) -> None:
        out = self.stdout.write
        out("")
        label = _("first run on this database: every open receivable gets its level")
        out(
            _("Run for %(date)s (%(what)s): %(seconds).2f s")
            % {
                "date": timing.as_of.isoformat(),
                "what": label if timing.first_ever else what,
                "seconds": timing.seconds,
            }
        )
        out(
            _("  %(receivables)s open receivables, %(customers)s customers: %(rate)s receivables/s")
            % {
                "receivables": open_receivables,
                "customers": customers,
                "rate": f"{open_receivables / max(timing.seconds, 1e-9):,.0f}",
            }
        )
        out(_("  steps (s):"))
        for step, seconds in timing.steps:
            out(f"    {step:<20}{seconds:>9.3f}")
        out(_("  counts:"))
        for name, value in timing.result.counts().items():
            out(f"    {name:<20}{value:>9}")

    def handle(self, *args, **options):
        if options["benchmark"] == "import":
            return self._import(options)
        if options["benchmark"] == "daily":
            return self._daily(options)
        if options["benchmark"] == "credit-check":
            return self._credit_check(options)
        if options["benchmark"] == "letters":
            return self._letters(options)
        return self._aging(options)

    def _data(self, options, *, default_customers: int) -> date:
        """The benchmark data of these sizes: reused when there, seeded otherwise. Returns the
        day it was seeded."""
        receivables = options["receivables"]
        customers = options["customers"] or default_customers
        database = connection.settings_dict["NAME"]
        try:
            seeded_on = reusable_bench(
                receivables=receivables,
                customers=customers,
                seed=options["seed"],
                allow_existing=options["allow_existing_data"],
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"--{e['field']}: {e['message']}" for e in error_items(exc))
            ) from None
        except BenchRefused as exc:
            raise CommandError(str(exc)) from None
        if seeded_on is not None:
            self.stdout.write(
                _("Reusing the benchmark data seeded on %(date)s.") % {"date": seeded_on}
            )
            return seeded_on
        self.stdout.write(
            _(
                "WARNING: adding %(receivables)s receivables over %(customers)s customers "
                "(codes BENCH…), with payments and allocations, to the %(vendor)s database "
                "%(name)s. Ledger rows are append-only: they can never be deleted."
            )
            % {
                "receivables": receivables,
                "customers": customers,
                "vendor": connection.vendor,
                "name": database,
            }
        )
        started = time.perf_counter()
        today = business_today()
        seed_bench(receivables=receivables, customers=customers, seed=options["seed"], as_of=today)
        analyze()
        self.stdout.write(
            _("Seeded in %(seconds).1f s.") % {"seconds": time.perf_counter() - started}
        )
        return today

    def _database_line(self) -> None:
        self.stdout.write(
            _(
                "Database: %(vendor)s %(name)s — %(open)s open receivables, %(customers)s "
                "customers in all."
            )
            % {
                "vendor": connection.vendor,
                "name": connection.settings_dict["NAME"],
                "open": open_count(),
                "customers": customer_count(),
            }
        )

    def _aging(self, options):
        receivables = options["receivables"]
        if options["repeat"] < 1:
            raise CommandError(_("--repeat: give at least 1."))
        self._data(options, default_customers=max(1, receivables // 10))
        today = business_today()
        self._database_line()
        timings = measure(as_of=today, repeat=options["repeat"])
        today_t, back_t, floor_t = timings
        ratios = [
            (_("ratio aging / floor, today"), today_t.best / max(floor_t.best, 1e-9)),
            (_("ratio aging / floor, a year back"), back_t.best / max(floor_t.best, 1e-9)),
        ]
        columns = max(width(label) for label in [t.label for t in timings] + [r[0] for r in ratios])
        self.stdout.write("")
        self.stdout.write(
            f"{pad(_('query'), columns)}  {_('best (s)'):>9}  {_('rows'):>8}  {_('all runs (s)')}"
        )
        for t in timings:
            runs = " ".join(f"{run:.3f}" for run in t.runs)
            self.stdout.write(f"{pad(t.label, columns)}  {t.best:>9.3f}  {t.rows:>8}  {runs}")
        for label, ratio in ratios:
            self.stdout.write(f"{pad(label, columns)}  {ratio:>9.2f}")
        agree = totals_agree(as_of=today)
        self.stdout.write(
            _("Check: the report and the floor add up to the same money today.")
            if agree
            else _("Check FAILED: the report and the floor disagree about today's money.")
        )
        if not agree:
            raise CommandError(_("aging and the floor query disagree"))

    def _letters(self, options):
        for name in ("letters", "messages", "workers", "batch"):
            if options[name] < 1:
                raise CommandError(_("--%(name)s: give at least 1.") % {"name": name})
        if not 0 <= options["with_pdf"] <= 100:
            raise CommandError(_("--with-pdf: give a percentage from 0 to 100."))
        waiting = letters.pending_elsewhere()
        if waiting:
            raise CommandError(
                _(
                    "The outbox holds messages waiting to be sent that are not the benchmark's "
                    "(%(count)s). Its workers would send them to the benchmark's own SMTP server, "
                    "where they would be lost: run it on a database of its own."
                )
                % {"count": waiting}
            )
        receivables = options["receivables"]
        self._data(options, default_customers=max(1, receivables // 10))
        self._database_line()
        out = self.stdout.write
        as_of = business_today()
        actor = letters.bench_user()
        subsetter = letters.harfbuzz_subsetter()
        out(
            _("WeasyPrint %(version)s; HarfBuzz font subsetter: %(state)s.")
            % {
                "version": letters.weasyprint_version(),
                "state": _("present (%(library)s)") % {"library": subsetter.library or "?"}
                if subsetter.present
                else _(
                    "MISSING — install libharfbuzz-subset0; without it every letter takes "
                    "about twenty times as long"
                ),
            }
        )
        chosen = letters.letter_customers(count=options["letters"], as_of=as_of)
        if not chosen:
            raise CommandError(_("No benchmark customer has anything overdue to write about."))
        customers = [customer for customer, _items in chosen]
        items = [count for _customer, count in chosen]
        warmup = letters.warm_up(customer=customers[0], as_of=as_of)
        timings, documents = letters.time_letters(
            customers=customers, as_of=as_of, per_kind=options["letters"], actor=actor
        )
        out("")
        out(
            _(
                "document_issue as of %(date)s, one letter at a time, to the %(count)s customers "
                "with the most overdue items (%(items)s open items each); one warm-up render "
                "before them (%(warmup).0f ms) not counted."
            )
            % {
                "date": as_of.isoformat(),
                "count": len(customers),
                "items": min(items) if min(items) == max(items) else f"{min(items)}-{max(items)}",
                "warmup": warmup,
            }
        )
        columns = max(width(label) for label in [_("kind"), *letters.KINDS])
        out(
            f"  {pad(_('kind'), columns)}  {_('count'):>5}  {_('p50 ms'):>8}  {_('p95 ms'):>8}  "
            f"{_('max ms'):>8}  {_('pages'):>5}  {_('KB p50'):>7}  {_('KB max'):>7}"
        )
        for timing in timings:
            stats = timing.stats()
            out(
                f"  {pad(timing.kind, columns)}  {len(timing.millis):>5}  {stats['p50']:>8.1f}  "
                f"{stats['p95']:>8.1f}  {stats['max']:>8.1f}  {timing.pages_label():>5}  "
                f"{stats['kb_p50']:>7.1f}  {stats['kb_max']:>7.1f}"
            )
        self._outbox(options, customers=customers, documents=documents, actor=actor)

    def _outbox(self, options, *, customers, documents, actor) -> None:
        out = self.stdout.write
        run = f"{timezone.localtime():%Y%m%d%H%M%S}-{secrets.token_hex(2)}"
        enqueued = letters.enqueue_messages(
            count=options["messages"],
            customers=customers,
            documents=documents,
            share_pct=options["with_pdf"],
            run=run,
            now=timezone.now(),
            actor=actor,
        )
        out("")
        out(
            _(
                "message_enqueue: %(count)s emails (%(attached)s with a letter attached), each "
                "in its own transaction, in %(seconds).2f s: %(rate)s messages/s."
            )
            % {
                "count": enqueued.count,
                "attached": enqueued.attached,
                "seconds": enqueued.seconds,
                "rate": f"{enqueued.count / max(enqueued.seconds, 1e-9):,.0f}",
            }
        )
        drop = options["drop"] or not letters.aiosmtpd_available()
        if drop and not options["drop"]:
            out(_("aiosmtpd is not installed (a test extra): sending in the drop mode instead."))
        kind = _("threads") if options["threads"] else _("processes")
        started_at = time.time()
        if drop:
            with letters.smtp_settings(None):
                sent = letters.send_with_workers(
                    workers=options["workers"],
                    batch=options["batch"],
                    processes=not options["threads"],
                    run=run,
                )
            where = _("the drop mode (files under %(folder)s)") % {"folder": letters.drop_folder()}
            arrival = letters.check_drop_arrivals(run=run, since=started_at)
        else:
            with letters.counting_smtp() as server, letters.smtp_settings(server):
                sent = letters.send_with_workers(
                    workers=options["workers"],
                    batch=options["batch"],
                    processes=not options["threads"],
                    run=run,
                )
                arrival = letters.check_smtp_arrivals(run=run, server=server)
                where = _("the benchmark's SMTP server on %(host)s:%(port)s (%(mb).1f MB)") % {
                    "host": server.host,
                    "port": server.port,
                    "mb": server.bytes / 1024 / 1024,
                }
        total = sent.total
        out(
            _(
                "send_due (workers: %(workers)s, as %(kind)s; batches of %(batch)s) to "
                "%(where)s: %(seconds).2f s, %(rate)s messages/s."
            )
            % {
                "workers": options["workers"],
                "kind": kind,
                "batch": options["batch"],
                "where": where,
                "seconds": sent.seconds,
                "rate": f"{total.sent / max(sent.seconds, 1e-9):,.1f}",
            }
        )
        out(
            _("  sent %(sent)s, retried %(retried)s, failed %(failed)s, unknown %(unknown)s")
            % {
                "sent": total.sent,
                "retried": total.retried,
                "failed": total.failed,
                "unknown": total.unknown,
            }
            + "; "
            + ", ".join(f"{name} {count}" for name, count in sent.per_worker.items())
        )
        for error in sent.errors:
            out(_("  worker failed: %(error)s") % {"error": error})
        if arrival.other:
            out(
                _("  also arrived: %(count)s messages left queued by an earlier run.")
                % {"count": arrival.other}
            )
        out(
            _("The messages stay in the outbox with keys %(prefix)s%(run)s:….")
            % {"prefix": letters.KEY_PREFIX, "run": run}
        )
        if arrival.ok and not sent.errors:
            out(
                _("Check: each of the %(count)s Message-IDs arrived exactly once.")
                % {"count": arrival.expected}
            )
            return
        out(
            _(
                "Check FAILED: of %(count)s messages, %(missing)s never arrived, %(twice)s "
                "arrived more than once, %(not_sent)s are not marked sent."
            )
            % {
                "count": arrival.expected,
                "missing": arrival.missing,
                "twice": arrival.twice,
                "not_sent": arrival.not_sent,
            }
        )
        raise CommandError(_("the outbox did not deliver each message exactly once"))
