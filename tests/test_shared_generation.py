"""Without Redis, a publication made by another process (a command, another worker) makes this process's cached
public pages stale at its next request: the generation of public data is kept where every process sees it."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from cchc_portal.public_cache import generation

ROOT = Path(__file__).resolve().parents[1]
RENEW = "import django; django.setup(); from cchc_portal.public_cache import _renew; _renew()"


def test_a_generation_renewed_in_another_process_is_seen_here_at_once(db):
    assert settings.CACHES["shared"]["BACKEND"].endswith("FileBasedCache")  # no REDIS_URL in the tests
    before = generation()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cchc_portal.settings"}
    subprocess.run([sys.executable, "-c", RENEW], cwd=ROOT, env=env, check=True, capture_output=True)
    after = generation()
    assert after != before
    assert generation() == after  # stable until the next change
