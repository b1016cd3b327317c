"""The portal's settings with the benchmark's URLs: the trivial view beside every page of the portal.

Only the gunicorn started by the HTTP benchmark uses this module (DJANGO_SETTINGS_MODULE=benchmarks.settings).
"""

from cchc_portal.settings import *  # noqa: F403 - the portal's settings, unchanged but for the URLs

ROOT_URLCONF = "benchmarks.urls"
