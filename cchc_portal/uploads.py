"""Where the portal's uploads are bounded and kept: one place for every app (Django-aware; the rules
themselves live in cchc_portal/lib)."""

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
