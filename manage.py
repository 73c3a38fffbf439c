#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ustportal.settings")
    if not os.environ.get("SECRET_KEY"):
        # No secret means a developer's checkout: run commands with the local defaults (DEBUG,
        # SQLite, mail to var/mail). A deployment sets SECRET_KEY, and the web server (wsgi.py)
        # never gets this default, so it refuses to start without one.
        os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
