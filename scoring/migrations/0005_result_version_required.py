import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scoring", "0004_first_result_versions")]

    operations = [
        migrations.AlterField(
            model_name="result",
            name="version",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="results",
                to="scoring.resultversion",
                verbose_name="lần công bố",
            ),
        ),
    ]
