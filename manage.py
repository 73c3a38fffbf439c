#!/usr/bin/env python
import os
import secrets
import sys

# Commands that only read the code and sign nothing: they run in a fresh checkout with a throwaway key
# (DEBUG stays off). Everything else (runserver, shell, load_demo, the mail and list commands) needs the
# deployment's SECRET_KEY or DEBUG=true.
OFFLINE_COMMANDS = {"makemigrations", "showmigrations", "sqlmigrate", "makemessages", "compilemessages", "help"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ustportal.settings")
    if len(sys.argv) > 1 and sys.argv[1] in OFFLINE_COMMANDS:
        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    # DEBUG comes from the environment or .env only (`make run` sets DEBUG=true): a host without a
    # SECRET_KEY is a misconfigured deployment, never a reason to switch development mode on.
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 - loads the settings, which check SECRET_KEY and DEBUG
    except ImproperlyConfigured as error:
        sys.stderr.write(f"manage.py: {error}\n")
        sys.exit(2)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
