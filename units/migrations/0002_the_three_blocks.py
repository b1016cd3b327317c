"""The three blocks every province ranks its units in."""

from django.db import migrations

BLOCKS = [
    ("so", "Sở, ban, ngành cấp tỉnh", "các sở, ban, ngành cấp tỉnh", 1),
    ("huyen", "UBND cấp huyện", "UBND các huyện, thị xã, thành phố", 2),
    ("xa", "UBND cấp xã", "UBND các xã, phường, thị trấn", 3),
]


def create_blocks(apps, schema_editor):
    Block = apps.get_model("units", "Block")
    for code, name, phrase, order in BLOCKS:
        Block.objects.update_or_create(
            code=code, defaults={"name": name, "title_phrase": phrase, "sort_order": order}
        )


def delete_blocks(apps, schema_editor):
    apps.get_model("units", "Block").objects.filter(code__in=[b[0] for b in BLOCKS]).delete()


class Migration(migrations.Migration):
    dependencies = [("units", "0001_initial")]
    operations = [migrations.RunPython(create_blocks, delete_blocks)]
