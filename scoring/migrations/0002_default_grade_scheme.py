"""The default grade bands: every published Thừa Thiên Huế row fits them (see docs/scoring.md)."""

from decimal import Decimal

from django.db import migrations

SCHEME = "Mặc định (Thừa Thiên Huế)"
BANDS = [
    ("xuat-sac", "Xuất sắc", Decimal("90")),
    ("tot", "Tốt", Decimal("80")),
    ("kha", "Khá", Decimal("70")),
    ("trung-binh", "Trung bình", Decimal("50")),
    ("yeu", "Yếu", None),
]


def create_scheme(apps, schema_editor):
    GradeScheme = apps.get_model("scoring", "GradeScheme")
    GradeBand = apps.get_model("scoring", "GradeBand")
    scheme, _ = GradeScheme.objects.get_or_create(name=SCHEME, defaults={"is_default": True})
    for code, label, bound in BANDS:
        GradeBand.objects.update_or_create(scheme=scheme, code=code, defaults={"label": label, "lower_bound": bound})


def delete_scheme(apps, schema_editor):
    apps.get_model("scoring", "GradeScheme").objects.filter(name=SCHEME, periods__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]
    operations = [migrations.RunPython(create_scheme, delete_scheme)]
