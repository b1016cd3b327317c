"""The three staff roles as groups; what each may do is decided in scoring/permissions.py."""

from django.db import migrations

ROLES = ["Cán bộ đơn vị", "Thẩm định viên", "Quản trị Sở Nội vụ"]
# The administrator also manages the reference data in the admin site.
ADMIN_MODELS = {
    "units": ["block", "unit", "unitmembership"],
    "scoring": ["criteriaset", "criterion", "gradescheme", "gradeband", "period", "appraiserassignment"],
}
ADMIN_VIEW_ONLY = {"scoring": ["score", "result", "resultversion", "evidence", "auditentry", "submission"]}


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after all migrations; the administrator's group needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    assign_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def assign_roles(Group, Permission):
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    admin = Group.objects.get(name="Quản trị Sở Nội vụ")
    codenames = [f"{action}_{model}" for app, models in ADMIN_MODELS.items() for model in models
                 for action in ("add", "change", "delete", "view")]
    codenames += [f"view_{model}" for app, models in ADMIN_VIEW_ONLY.items() for model in models]
    codenames += ["add_user", "change_user", "view_user", "view_group"]
    admin.permissions.set(Permission.objects.filter(codename__in=codenames))


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("units", "0003_unit_memberships"),
        ("scoring", "0005_result_version_required"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, delete_roles)]
