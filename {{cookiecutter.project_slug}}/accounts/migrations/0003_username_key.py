from django.db import migrations, models

from accounts.models import username_key


def fill_username_keys(apps, schema_editor):
    # Users made before this migration get their key here, before the column turns unique.
    User = apps.get_model("accounts", "User")
    owners = {}
    for user in User.objects.only("username"):
        key = username_key(user.username)
        if key in owners:
            raise RuntimeError(
                f"The users {owners[key]!r} and {user.username!r} differ only in letter case; "
                "rename one of them, then migrate again."
            )
        owners[key] = user.username
        user.username_key = key
        user.save(update_fields=["username_key"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_cache_table")]

    # Added empty, filled for the users there are, then made unique.
    operations = [
        migrations.AddField(
            model_name="user",
            name="username_key",
            field=models.CharField(editable=False, max_length=450, null=True),
        ),
        migrations.RunPython(fill_username_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="username_key",
            field=models.CharField(editable=False, max_length=450, unique=True),
        ),
    ]
