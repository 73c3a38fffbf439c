"""A real S3-compatible server for the object-store tests: moto in server mode, on a free local port.

The portal reaches it over HTTP with signed requests exactly as it reaches a production bucket (django-storages'
S3Storage through boto3); only the endpoint differs. One server per test session, one new bucket per test.
"""

import uuid

import boto3
import pytest
from moto.server import ThreadedMotoServer

ACCESS_KEY, SECRET_KEY, REGION = "test-only-access-key", "test-only-secret-key", "us-east-1"


@pytest.fixture(scope="session")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)


@pytest.fixture
def s3_bucket(s3_endpoint, settings):
    """A new private bucket, made the default storage for this test (as FILE_STORAGE=s3 makes it in production)."""
    name = f"ust-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(Bucket=name)
    storages = dict(settings.STORAGES)
    storages["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": name, "endpoint_url": s3_endpoint, "region_name": REGION,
        "access_key": ACCESS_KEY, "secret_key": SECRET_KEY, "addressing_style": "path", "signature_version": "s3v4",
        "default_acl": None, "querystring_auth": True, "querystring_expire": 60, "file_overwrite": False,
    }}
    settings.STORAGES = storages
    return name


def bucket_objects(endpoint: str, bucket: str) -> dict[str, bytes]:
    client = s3_client(endpoint)
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: client.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def _options(endpoint: str, bucket: str, **timeouts) -> dict:
    from botocore.config import Config

    return {"bucket_name": bucket, "endpoint_url": endpoint, "region_name": REGION, "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY, "addressing_style": "path", "signature_version": "s3v4", "default_acl": None,
            "querystring_auth": True, "querystring_expire": 60, "file_overwrite": False,
            "client_config": Config(**timeouts)}


@pytest.fixture
def dead_store(settings):
    """FILE_STORAGE=s3 pointed at a local port nobody listens on: the object store is down."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _options(
        f"http://127.0.0.1:{port}", "ust-down", connect_timeout=1, read_timeout=1, retries={"max_attempts": 1})}}


@pytest.fixture
def silent_store(settings):
    """FILE_STORAGE=s3 pointed at a socket that accepts and never answers: the object store hangs."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)  # connections complete in the backlog; nothing ever reads or answers them
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _options(
        f"http://127.0.0.1:{server.getsockname()[1]}", "ust-hung", connect_timeout=1, read_timeout=1,
        retries={"max_attempts": 1})}}
    yield
    server.close()
