"""This app's personal data for the access log (``core.privacy``): the call log names callers' addresses."""

PERSONAL_DATA_MODELS = {
    "partnerapi.apikey": None,
    "partnerapi.apicall": None,
}

PORTAL_URLS: dict = {}
