"""The portal's settings as the benchmark runs them (``DJANGO_SETTINGS_MODULE=bench.settings``, set by ``rush.py``).

Everything is ``ustportal.settings``, read from the same environment; only the root URLs differ, so the
benchmark's ping page exists in the benchmark's server and nowhere else.
"""

from ustportal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
