from django.db import migrations

from huikuan.core.immutable import append_only


def create_letterhead(apps, schema_editor):
    Letterhead = apps.get_model("documents", "Letterhead")
    Letterhead.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [
        migrations.RunPython(create_letterhead, migrations.RunPython.noop),
        # An issued letter is evidence: its PDF and figures never change; only the sending facts
        # are filled in later. Template versions are history too.
        append_only(
            {
                "documents_document": [
                    "number",
                    "kind",
                    "customer_id",
                    "as_of",
                    "date_from",
                    "language",
                    "template_version",
                    "total",
                    "pdf",
                    "sha256",
                ],
                "documents_documenttemplate": None,
            }
        ),
    ]
