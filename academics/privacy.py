"""This app's personal data for the access log (``core.privacy``): the partners' coordinator contacts."""

PERSONAL_DATA_MODELS = {"academics.institutioncontact": None}
