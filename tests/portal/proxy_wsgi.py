"""The portal's WSGI application plus /_whoami: which node answered, the client address the portal takes
(core.http.client_ip) and whether it sees https (test_deploy_proxy: the real portal behind deploy/'s HAProxy)."""

import json
import os

from django.core.handlers.wsgi import WSGIRequest

from core.http import client_ip
from ustportal.wsgi import application


def app(environ, start_response):
    if environ.get("PATH_INFO") != "/_whoami":
        return application(environ, start_response)
    request = WSGIRequest(environ)
    body = json.dumps({"node": os.environ["NODE"], "client_ip": client_ip(request), "secure": request.is_secure()})
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body.encode()]
