from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Báo cáo, công bố"

    def ready(self):
        # Edits that change what the public pages print without going through publication (a unit renamed or
        # merged in the admin, a block renamed, a national index entered, a period's decision filled in) renew
        # the public cache. Publication itself renews it in scoring.services.result_version_seal (bulk writes
        # send no signals). A cache, not business logic: receivers are the one place every write path passes.
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from cchc_portal import checks  # noqa: F401 - registers the page cache's deploy check
        from cchc_portal.public_cache import derive_from_names, public_changed
        from reports import (
            jobs,  # noqa: F401 - registers the report jobs with scoring.ops.jobs
            search,
        )
        from scoring.models import GradeBand, NationalIndex, Period
        from units.models import Block, Unit

        derive_from_names(search.refresh)

        def renew(sender, instance=None, raw=False, created=False, signal=None, **kwargs):
            public_changed(names_of=None if raw or created else _names_changed(sender, instance, signal))

        def _names_changed(sender, instance, signal):
            """The units whose published names a save or a deletion may have changed (None: no name changed)."""
            if sender is Unit and signal is post_save:  # renamed (a deleted unit takes its index rows with it)
                return Unit.objects.filter(pk=instance.pk)
            if sender is Period and signal is post_save:  # published, or no longer public
                return Unit.objects.filter(results__period=instance)
            if sender is Period:  # deleted with its results: which units they were is gone too
                return Unit.objects.all()
            return None

        for model in (Unit, Block, NationalIndex, Period, GradeBand):
            # weak=False: `renew` is local to ready(); a weak reference would let it be collected at once.
            post_save.connect(renew, sender=model, weak=False, dispatch_uid=f"public-cache-save-{model.__name__}")
            post_delete.connect(renew, sender=model, weak=False, dispatch_uid=f"public-cache-del-{model.__name__}")
        m2m_changed.connect(renew, sender=Unit.successors.through, weak=False, dispatch_uid="public-cache-lineage")
