"""This app's personal data for the access log (``core.privacy``): accounts, temporary IDs and axes' sign-in logs."""

PERSONAL_DATA_MODELS = {
    "accounts.user": lambda o: o.get_username(),
    "accounts.temporarystudentid": lambda o: o.student_id,
    # django-axes keeps user names and addresses of sign-ins; accounts configures it (accounts/admin_axes).
    "axes.accessattempt": None,
    "axes.accesslog": None,
    "axes.accessfailurelog": None,
}
