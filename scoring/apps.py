from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _reinstall_locks(sender, using, **kwargs):
    """Install the locks after every migrate: SQLite loses a table's triggers when a migration rebuilds
    the table, and a column added since must be frozen too."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from scoring import locks

    connection = connections[using]
    recorder = MigrationRecorder(connection)
    if recorder.has_table() and ("scoring", "0006_lock_published_periods") in recorder.applied_migrations():
        locks.install(connection)


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = "Chấm điểm CCHC"

    def ready(self):
        post_migrate.connect(_reinstall_locks, sender=self)
        from django.db.backends.signals import connection_created

        from cchc_portal.sqlite import use_library_limits

        connection_created.connect(use_library_limits, dispatch_uid="sqlite_library_limits")
        from django.contrib.auth.signals import user_logged_in

        from cchc_portal.second_factor import remember_what_is_due
        from scoring.accounts import reset  # noqa: F401 - registers the reset-mail job
        from scoring.exports import jobs as _exports  # noqa: F401 - registers the detailed-report job
        from scoring.imports import jobs  # noqa: F401 - registers the score-sheet import job

        user_logged_in.connect(remember_what_is_due, dispatch_uid="second_factor_due")
        from cchc_portal.idle_sessions import stamp_at_login

        user_logged_in.connect(stamp_at_login, dispatch_uid="idle_sessions_stamp")
        from django.db.models.signals import post_delete, post_save

        from scoring.models import Criterion
        from scoring.results import criteria_changed

        for signal in (post_save, post_delete):
            signal.connect(criteria_changed, sender=Criterion, dispatch_uid=f"criteria_changed_{signal is post_save}")
