"""Every period already published gets its first, sealed result version holding its results."""

from django.db import migrations


def create_first_versions(apps, schema_editor):
    Period = apps.get_model("scoring", "Period")
    ResultVersion = apps.get_model("scoring", "ResultVersion")
    Result = apps.get_model("scoring", "Result")
    for period in Period.objects.filter(results__isnull=False).distinct():
        version = ResultVersion.objects.create(
            period=period, number=1, is_current=True, sealed=True,
            decision_number=period.decision_number, decision_date=period.decision_date,
        )
        Result.objects.filter(period=period).update(version=version)


def drop_versions(apps, schema_editor):
    apps.get_model("scoring", "Result").objects.update(version=None)
    apps.get_model("scoring", "ResultVersion").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("scoring", "0003_workflow_versions_evidence_audit")]
    operations = [migrations.RunPython(create_first_versions, drop_versions)]
