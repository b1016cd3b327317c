"""The portal run as a PostgreSQL role that owns no table: it imports, publishes and serves pages, and it
cannot disable the lock triggers, TRUNCATE, or switch replication mode to skip them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from tests.conftest import clear_locked_data, restore_reference_data

ROOT = Path(__file__).resolve().parents[1]
ROLE, PASSWORD = "cchc_app_test", "mat-khau-vai-tro-thu"

SCRIPT = """
import json
import django

django.setup()
from django.core.management import call_command
from django.db import connection
from django.test import Client

out = {"user": connection.cursor().connection.info.user}
call_command("import_results", "fixtures/ket-qua-cong-bo-2022.csv", verbosity=0)
client = Client()
out["ranking"] = client.get("/xep-hang/2022/so/").status_code
out["api"] = client.get("/api/v1/results/2022/so/").json()["results"][0]["unit"]
attacks = {
    "disable_trigger": "ALTER TABLE scoring_result DISABLE TRIGGER ALL",
    "truncate": "TRUNCATE scoring_auditentry",
    "replication_role": "SET session_replication_role = replica",
    "update_published": "UPDATE scoring_result SET total = 100",
}
for name, statement in attacks.items():
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
        out[name] = "allowed"
    except Exception as error:
        out[name] = str(error).splitlines()[0]
print(json.dumps(out, ensure_ascii=False))
"""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_the_portal_works_through_a_role_that_owns_nothing_and_that_role_cannot_lift_the_locks():
    restore_reference_data()
    call_command("create_app_role", "--name", ROLE, "--password", PASSWORD)
    settings = connection.settings_dict
    url = (
        f"postgres://{ROLE}:{PASSWORD}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    env = {**os.environ, "DATABASE_URL": url, "CONN_MAX_AGE": "0"}
    try:
        run = subprocess.run(
            [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 0, run.stderr[-2000:]
        out = json.loads(run.stdout.strip().splitlines()[-1])
        assert out["user"] == ROLE
        assert out["ranking"] == 200 and out["api"] == "Sở Thông tin và Truyền thông"
        assert "must be owner" in out["disable_trigger"]
        assert "permission denied" in out["truncate"]
        assert "permission denied" in out["replication_role"]
        assert "cchc_locked" in out["update_published"]
    finally:
        clear_locked_data()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {ROLE}")
            cursor.execute(f"DROP ROLE IF EXISTS {ROLE}")
