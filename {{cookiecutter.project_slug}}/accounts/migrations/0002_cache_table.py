from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The throttle counters are kept in the database cache (CACHES in settings). Creating its
    # table here makes `migrate` the only set-up step; it does nothing for other cache backends.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
