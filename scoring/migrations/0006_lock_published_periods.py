"""Lock published and locked periods in the database itself: see scoring/locks.py for what is refused.

The triggers' SQL lives in the app (scoring/locks.py), which installs them here and again after every
migrate, reading the columns to freeze from the tables as they are then.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from scoring import locks

    locks.install(schema_editor.connection)


def backwards(apps, schema_editor):
    from scoring import locks

    locks.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("scoring", "0005_result_version_required")]

    operations = [migrations.RunPython(forwards, backwards)]
