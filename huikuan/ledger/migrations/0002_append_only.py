from django.db import migrations

from huikuan.core.immutable import append_only


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        append_only(
            {
                "ledger_allocation": None,
                "ledger_writeoff": None,
                "ledger_reversal": None,
                "ledger_receivable": ["customer_id", "number", "amount", "currency", "issue_date"],
                "ledger_payment": ["customer_id", "kind", "number", "amount", "currency", "received_on"],
            }
        )
    ]
