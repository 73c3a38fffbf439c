"""The nodes' settings in the multi-host test (``DJANGO_SETTINGS_MODULE=bench.multihost.settings``).

The benchmark's (the portal's own plus the ping page the rush's baseline uses), from the same environment.
"""

from bench.settings import *  # noqa: F403

# Until ustportal/settings.py reads FILE_STORAGE itself (the lead's S3 change), the same switch here.
if env.str("FILE_STORAGE", default="local") == "s3" and "s3" not in STORAGES["default"]["BACKEND"]:  # noqa: F405
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {  # noqa: F405
        "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),  # noqa: F405
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL"),  # noqa: F405
        "region_name": env.str("AWS_S3_REGION_NAME", default="us-east-1"),  # noqa: F405
        "access_key": env.str("AWS_ACCESS_KEY_ID"),  # noqa: F405
        "secret_key": env.str("AWS_SECRET_ACCESS_KEY"),  # noqa: F405
        "addressing_style": "path", "signature_version": "s3v4", "default_acl": None, "file_overwrite": False,
    }}
