"""Test defaults, set before Django reads its settings (loaded with `-p tests.environment`).

A real environment variable still wins, so CI can point the suite at PostgreSQL with DATABASE_URL.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("STATIC_MANIFEST", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# Administrators sign in with a password alone in the tests that are not about the second factor;
# tests/test_second_factor.py turns the requirement on.
os.environ.setdefault("ADMIN_SECOND_FACTOR", "0")
# Jobs run at once in the request, so a test sees their outcome; tests/scoring/test_jobs.py runs them from the
# queue, as a worker would.
os.environ.setdefault("JOBS_EAGER", "1")

# A file, not memory: the concurrency tests save from two threads, as two staff members would.
os.environ.setdefault("SQLITE_TEST_NAME", os.path.join(tempfile.gettempdir(), f"cchc-test-{os.getpid()}.sqlite3"))

# The shared cache (the generation of public data) in a folder of this run's own.
os.environ.setdefault("SHARED_CACHE_DIR", os.path.join(tempfile.gettempdir(), f"cchc-shared-{os.getpid()}"))
# And the pages prerendered at publication (reports/freshness.py), likewise.
os.environ.setdefault("PRERENDERED_DIR", os.path.join(tempfile.gettempdir(), f"cchc-prerendered-{os.getpid()}"))
