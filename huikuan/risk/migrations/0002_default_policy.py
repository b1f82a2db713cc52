from django.db import migrations


def create_policy(apps, schema_editor):
    CreditPolicy = apps.get_model("risk", "CreditPolicy")
    if not CreditPolicy.objects.exists():
        CreditPolicy.objects.create()


def remove_policy(apps, schema_editor):
    apps.get_model("risk", "CreditPolicy").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]

    operations = [migrations.RunPython(create_policy, remove_policy)]
