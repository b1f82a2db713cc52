from django.db import migrations

from huikuan.core.immutable import append_only
from huikuan.dunning.defaults import calendar_ensure, policies_ensure


def seed(apps, schema_editor):
    policies_ensure(apps.get_model("dunning", "DunningPolicy"), apps.get_model("dunning", "DunningLevel"))
    calendar_ensure(apps.get_model("dunning", "CalendarDay"))


class Migration(migrations.Migration):
    dependencies = [("dunning", "0001_initial")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        # The paper trail: a recorded contact or limitation event is never edited or deleted.
        append_only({"dunning_activity": None, "dunning_limitationevent": None}),
    ]
