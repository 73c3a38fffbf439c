"""FILE_STORAGE: the local disk by default, an S3-compatible bucket with FILE_STORAGE=s3 (issue 16)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("FILE_STORAGE", "AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


def _default_storage(**env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in NAMES}
    environ.update(DEBUG="true", DJANGO_SETTINGS_MODULE="ustportal.settings", **env)
    script = ("import json, django; django.setup(); from django.conf import settings; "
              "print(json.dumps(settings.STORAGES['default'], default=lambda c: {'connect_timeout': c.connect_timeout, "
              "'read_timeout': c.read_timeout, 'retries': c.retries}))")
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environ, capture_output=True, text=True,
                          timeout=60)


def test_the_embedded_default_keeps_files_on_the_local_disk():
    assert json.loads(_default_storage().stdout) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_s3_is_a_private_bucket_that_never_overwrites_and_signs_every_url():
    run = _default_storage(FILE_STORAGE="s3", AWS_STORAGE_BUCKET_NAME="ust-files",
                           AWS_S3_ENDPOINT_URL="http://198.18.0.1:9000", AWS_ACCESS_KEY_ID="id", AWS_SECRET_ACCESS_KEY="key")
    storage = json.loads(run.stdout)
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert options["bucket_name"] == "ust-files" and options["endpoint_url"] == "http://198.18.0.1:9000"
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert options["file_overwrite"] is False and options["querystring_expire"] <= 300
    # A store that is down or hung costs a request seconds, not botocore's default minute per attempt times five.
    client = options["client_config"]
    assert 0 < client["connect_timeout"] <= 5 and 0 < client["read_timeout"] <= 10
    assert client["retries"]["max_attempts"] <= 3 and client["retries"]["mode"] == "standard"


def test_s3_without_a_bucket_or_an_unknown_storage_refuses_to_start():
    missing = _default_storage(FILE_STORAGE="s3")
    assert missing.returncode != 0 and "AWS_STORAGE_BUCKET_NAME" in missing.stderr
    unknown = _default_storage(FILE_STORAGE="nfs")
    assert unknown.returncode != 0 and "FILE_STORAGE must be 'local' or 's3'" in unknown.stderr


def test_a_beat_lease_too_short_to_be_set_refuses_to_start():
    """PX must be a positive number of milliseconds: a lease of 0 (or 0.0001) s would make every SET fail, and no
    beat would ever lead, with only a warning a tick to say so."""
    for seconds in ("0", "0.0001", "-5"):
        run = _default_storage(BEAT_LOCK_SECONDS=seconds)
        assert run.returncode != 0 and "BEAT_LOCK_SECONDS" in run.stderr, seconds
    assert _default_storage(BEAT_LOCK_SECONDS="2").returncode == 0
