"""This app's personal data for the access log (``core.privacy``): the keys and the call log (callers' addresses),
and what the API hands out: each answer that shows students' data is recorded like a page that does (PIPA
safety-measure standard, art. 8), naming the partner and the key, never a person's name."""

from core.models import PersonalDataAccess

Action = PersonalDataAccess.Action


def _caller(request) -> str:
    key = getattr(request, "_partnerapi_key", None)
    return f"partner API · {key.partner.code} · {key.prefix}" if key else "partner API"


def _listed(label: str, field: str):
    """A list endpoint: the rows of the page it answered."""

    def handler(request, response, match):
        rows = (getattr(response, "data", None) or {}).get("results") or []
        ids = [row[field] for row in rows if isinstance(row, dict) and field in row]
        return (label, [{"action": Action.LIST, "ids": ids, "reference": _caller(request)}]) if ids else None

    return handler


def _one(label: str, action: str, kwarg: str):
    def handler(request, response, match):
        if response.status_code != 200 or request.method not in ("GET", "POST"):
            return None
        return label, [{"action": action, "ids": [match.kwargs[kwarg]], "reference": _caller(request)}]

    return handler


PERSONAL_DATA_MODELS = {
    "partnerapi.apikey": None,
    "partnerapi.apicall": None,
}

PORTAL_URLS = {
    "partnerapi:applications": _listed("creditexchange.temporaryidapplication", "id"),
    "partnerapi:registrations": _listed("creditexchange.courseregistration", "id"),
    "partnerapi:recommendations": _listed("creditexchange.recommendation", "line"),
    "partnerapi:transcripts": _listed("creditexchange.transcript", "code"),
    "partnerapi:list": _one("creditexchange.partnerlist", Action.VIEW, "pk"),
    "partnerapi:list-answer": _one("creditexchange.partnerlist", Action.CHANGE, "pk"),  # its lines answered
    "partnerapi:transcript-pdf": _one("creditexchange.transcript", Action.DOWNLOAD, "code"),
}
