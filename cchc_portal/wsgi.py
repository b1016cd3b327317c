"""WSGI entry point (gunicorn cchc_portal.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cchc_portal.settings")
# A process that serves requests: its database connections carry the web statement timeout (settings.py).
os.environ.setdefault("CCHC_PROCESS", "web")

application = get_wsgi_application()
