"""The nodes' settings in the multi-host test (``DJANGO_SETTINGS_MODULE=bench.multihost.settings``).

The benchmark's (the portal's own plus the ping page the rush's baseline uses), from the same environment.
"""

from bench.settings import *  # noqa: F403
