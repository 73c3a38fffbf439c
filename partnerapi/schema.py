"""OpenAPI pieces drf-spectacular cannot infer: the bearer-key security scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "partnerapi.auth.BearerKeyAuthentication"
    name = "partnerKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http", "scheme": "bearer",
            "description": "A key the registrar's office issued to your university (`Authorization: Bearer ustp_…`).",
        }
