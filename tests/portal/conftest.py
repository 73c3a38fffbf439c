from .smtp import smtp_server  # noqa: F401 - the in-process SMTP server fixture
