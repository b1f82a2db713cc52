"""`huikuan aging`: the aging report on the command line, the same numbers as the API."""

import csv
import io
import json

from django.core.management.base import BaseCommand, CommandError

from huikuan.core.dates import business_today, parse_iso_date
from huikuan.core.money import ZERO, money_str
from huikuan.reports.policy import aging_bands, parse_edges
from huikuan.reports.selectors import GROUPINGS, aging


class Command(BaseCommand):
    help = "Print receivables aging as of a date, by customer, rep, region or for the portfolio."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: today in Asia/Shanghai)")
        parser.add_argument("--by", choices=GROUPINGS, default="customer")
        parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
        parser.add_argument("--edges", help="bucket edges in days, e.g. 30,60,90,180,365")

    def handle(self, *args, **options):
        try:
            as_of = parse_iso_date(options["as_of"]) if options["as_of"] else business_today()
            edges = parse_edges(options["edges"]) if options["edges"] else None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        bands = aging_bands(edges)
        rows = aging(as_of=as_of, by=options["by"], edges=edges)
        header = ["key", "label", *(b.key for b in bands), "total", "unapplied_credit"]
        records = [
            [
                row.key,
                row.label,
                *(money_str(row.buckets[b.key]) for b in bands),
                money_str(row.total),
                money_str(row.unapplied_credit),
            ]
            for row in rows
        ]
        fmt = options["format"]
        if fmt == "json":
            payload = {
                "as_of": as_of.isoformat(),
                "by": options["by"],
                "rows": [dict(zip(header, record, strict=True)) for record in records],
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
        elif fmt == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(records)
            self.stdout.write(buffer.getvalue(), ending="")
        else:
            self._table(header, records, rows, bands, as_of)

    def _table(self, header, records, rows, bands, as_of):
        title = [f"as of {as_of.isoformat()}"]
        shown = [header[0], *header[2:]]
        body = [[r[0], *r[2:]] for r in records]
        totals = ["TOTAL"]
        for index in range(len(bands)):
            totals.append(money_str(sum((row.buckets[bands[index].key] for row in rows), ZERO)))
        totals.append(money_str(sum((row.total for row in rows), ZERO)))
        totals.append(money_str(sum((row.unapplied_credit for row in rows), ZERO)))
        widths = [max(len(str(c)) for c in col) for col in zip(shown, *body, totals, strict=True)]

        def line(cells):
            return "  ".join(
                str(c).ljust(w) if i == 0 else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )

        self.stdout.write(title[0])
        self.stdout.write(line(shown))
        for cells in body:
            self.stdout.write(line(cells))
        self.stdout.write(line(totals))
