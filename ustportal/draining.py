"""Whether this web process is draining: the load balancer is to send it no new requests (deploy/README.md).

Two ways in. The file named by ``DRAIN_FILE`` exists: an operator's ``touch`` before maintenance, or the systemd
unit's ExecStop, which creates it and waits for HAProxy's probe to take the node out before gunicorn is told to
stop. Or this worker process got SIGTERM (gunicorn's graceful stop, ustportal/gunicorn_worker.py): gunicorn's
master closes the listening socket at once, so no new connection reaches the node, but a request still read on a
kept-alive connection in the next seconds answers "draining" too, and the proxy's probe on such a connection takes
the node out instead of seeing it "ready" until the last moment.

No Django import here: gunicorn's worker class imports this module before the portal is loaded.
"""

import os

# Per process: per process by design, this process got SIGTERM and is stopping; each node answers its own probe.
_stopping = False  # set from a signal handler: a plain flag, no lock


def mark_stopping() -> None:
    """This process is stopping (SIGTERM): it stays alive, but is no longer ready."""
    global _stopping
    _stopping = True


def is_draining(drain_file: str) -> bool:
    return _stopping or bool(drain_file) and os.path.exists(drain_file)
