"""A minimal HTTP client for the checks: one base URL (a node, or the proxy), cookies kept by hand, no redirects."""

import http.client
import re
import secrets
import urllib.parse
from dataclasses import dataclass, field

CSRF_SECRET = "multihostCsrfSecret0123456789abX"  # 32 characters: Django accepts the unmasked secret as the token
assert len(CSRF_SECRET) == 32


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type, for a form post with uploads."""
    boundary = "----ustmh" + secrets.token_hex(12)
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, mimetype) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {mimetype}\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def request(base: str, method: str, path: str, *, cookies: dict[str, str] | None = None, form: dict | None = None,
            body: bytes | None = None, content_type: str = "", headers: dict[str, str] | None = None,
            timeout: float = 10) -> Response:
    """One request; ``form`` is url-encoded (with the CSRF token added and its cookie sent)."""
    parsed = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    cookies = dict(cookies or {})
    sent = {"Accept-Language": "en", "Host": parsed.netloc, **(headers or {})}
    if method == "POST":
        cookies.setdefault("csrftoken", CSRF_SECRET)
        if form is not None:
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": CSRF_SECRET, **form}, doseq=True).encode()
            content_type = "application/x-www-form-urlencoded"
        sent["X-CSRFToken"] = CSRF_SECRET
        sent["Content-Type"] = content_type
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    try:
        conn.request(method, path, body=body, headers=sent)
        answer = conn.getresponse()
        data = answer.read()
        got = {}
        for name, value in answer.getheaders():
            if name.lower() == "set-cookie":
                key, _eq, rest = value.partition("=")
                got[key.strip()] = rest.split(";", 1)[0]
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, data, got)
    finally:
        conn.close()


def hidden_value(html: str, name: str) -> str:
    """The value of the hidden input ``name`` in a page, or ""."""
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{re.escape(name)}"', html)
    return match.group(1) if match else ""
