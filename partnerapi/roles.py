"""The permissions this app gives the staff roles (``accounts.roles``), registered by ``PartnerApiConfig.ready()``."""

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "registrar": [
        "partnerapi.view_apikey", "partnerapi.add_apikey", "partnerapi.revoke_apikey", "partnerapi.view_apicall",
    ],
}
