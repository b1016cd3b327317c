"""make backup and make restore: one archive with the database and the evidence files, restored into an
empty database and an empty media folder, with every unit, score, audit entry, result version and evidence
file back and the lock triggers in place. A database restored without its files answers 404, not 500."""

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client

from scoring.models import Evidence
from scoring.scores import Change, evidence_add, scores_save
from tests.conftest import clear_locked_data, restore_reference_data
from tests.lib.test_filetypes import pdf_bytes

ROOT = Path(__file__).resolve().parents[1]

CHECK = """
import json
import django

django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
from scoring.ops.backup import installed_triggers
from scoring.models import AuditEntry, Evidence, Result, ResultVersion, Score
from units.models import Unit

client = Client()
client.force_login(get_user_model().objects.get(username="quantri"))
evidence = Evidence.objects.get()
download = client.get(f"/cham-diem/minh-chung/{evidence.pk}/tai-ve/")
print(json.dumps({
    "units": Unit.objects.count(), "scores": Score.objects.count(), "audit": AuditEntry.objects.count(),
    "versions": ResultVersion.objects.count(), "results": Result.objects.count(),
    "triggers": len(installed_triggers()),
    "download": download.status_code, "bytes": len(b"".join(download.streaming_content)),
    "ranking": client.get("/xep-hang/2022/so/").status_code,
}))
"""

GENERATION = """
import django

django.setup()
from cchc_portal.public_cache import generation

print(generation())
"""


def run(args, env) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_an_empty_database_and_media_folder_with_everything(
    tmp_path, settings, empty_database_url
):
    restore_reference_data()
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    from scoring.models import GradeScheme
    from tests.scoring.workflow_cast import Cast
    from units.models import Block

    try:
        cast = Cast(Block.objects.get(code="so"), GradeScheme.objects.get(is_default=True))
        call_command("import_results", str(ROOT / "fixtures" / "ket-qua-cong-bo-2022.csv"))
        scores_save(
            period=cast.period,
            unit=cast.unit_a,
            changes=[Change("self_points", cast.leaf["2"].pk, "30")],
            by=cast.staff_a,
        )
        upload = SimpleUploadedFile("bao-cao.pdf", pdf_bytes())
        evidence_add(period=cast.period, unit=cast.unit_a, criterion=cast.leaf["2"], by=cast.staff_a, upload=upload)
        archive = tmp_path / "sao-luu.tar.gz"
        call_command("backup", "-o", str(archive))
        with tarfile.open(archive) as tar:
            manifest = json.loads(tar.extractfile("manifest.json").read())
            assert any(name.startswith("media/minh-chung/") for name in tar.getnames())
        restored = tmp_path / "media-khoi-phuc"
        env = {**os.environ, "DATABASE_URL": empty_database_url, "MEDIA_ROOT": str(restored), "CONN_MAX_AGE": "0"}
        env["SHARED_CACHE_DIR"] = str(tmp_path / "chung")  # the generation of public data every worker reads
        served = run(["-c", GENERATION], env).stdout.strip().splitlines()[-1]
        out = run(["manage.py", "restore", str(archive)], env).stdout
        assert "đã được đối chiếu" in out
        # The pages cached or prerendered from the database before the restore are not served from it.
        assert run(["-c", GENERATION], env).stdout.strip().splitlines()[-1] != served
        counts = json.loads(run(["-c", CHECK], env).stdout.strip().splitlines()[-1])
        tables = manifest["tables"]
        assert (
            counts["units"] == tables["units_unit"] and counts["scores"] == tables["scoring_score"] == 2
        )  # with the cast's not-applicable leaf
        assert counts["audit"] == tables["scoring_auditentry"] > 0
        assert counts["versions"] == tables["scoring_resultversion"] == 2 and counts["results"] == 30
        assert counts["triggers"] == len(__import__("scoring.locks").locks.trigger_names(connection.vendor))
        assert (counts["download"], counts["bytes"], counts["ranking"]) == (200, len(pdf_bytes()), 200)
        # A second restore into the now full database is refused, and nothing is touched.
        again = subprocess.run(
            [sys.executable, "manage.py", "restore", str(archive)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert again.returncode != 0 and "không trống" in again.stderr
    finally:
        clear_locked_data()


def test_a_missing_evidence_file_answers_404_with_a_message(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("bao-cao.pdf", pdf_bytes())
    item = evidence_add(period=cast.period, unit=cast.unit_a, criterion=cast.leaf["2"], by=cast.staff_a, upload=upload)
    Path(item.file.path).unlink()
    client = Client()
    client.force_login(cast.admin)
    response = client.get(f"/cham-diem/minh-chung/{item.pk}/tai-ve/")
    assert response.status_code == 404
    assert "không còn trên máy chủ" in response.content.decode() and "bao-cao.pdf" in response.content.decode()
    assert Evidence.objects.filter(pk=item.pk).exists()
