"""Everything that comes into the portal as a file: published results, criteria sets, score sheets.

Each importer is a reader (phase one: check every row, say every problem, write nothing) and a service
(phase two: write everything in one transaction, or nothing). All read through `cchc_portal.lib.reading`
within `upload_limits()`, and keep web uploads between preview and confirmation in `pending_uploads()`.
"""

from cchc_portal.uploads import pending_uploads, upload_limits

__all__ = ["pending_uploads", "upload_limits"]
