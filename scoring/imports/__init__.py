"""Everything that comes into the portal as a file: published results, criteria sets, score sheets.

Each importer is a reader (phase one: check every row, say every problem, write nothing) and a service
(phase two: write everything in one transaction, or nothing). All read through `cchc_portal.lib.reading`
with the limits below, and keep web uploads between preview and confirmation in `pending_uploads()`.
"""

from django.conf import settings
from django.core.files.storage import storages

from cchc_portal.lib.pending import PendingUploads
from cchc_portal.lib.reading import Limits


def upload_limits() -> Limits:
    """How large an uploaded table may be (settings.IMPORT_LIMITS, each value optional)."""
    return Limits(**getattr(settings, "IMPORT_LIMITS", {}))


def pending_uploads() -> PendingUploads:
    """Uploads awaiting confirmation, in the "imports" folder of the default storage (never served publicly)."""
    return PendingUploads(storages["default"], "imports")
