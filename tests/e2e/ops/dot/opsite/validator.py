"""The OAuth2Validator of the test OP: the two silent-login hooks oauthlib calls for prompt=none
(django-oauth-toolkit leaves them unimplemented, so a stock install answers prompt=none with
HTTP 500), and whether a refresh response carries an ID token (switched by the test through
/control)."""

from oauth2_provider.oauth2_validators import OAuth2Validator

from .state import STATE


class Validator(OAuth2Validator):
    def validate_silent_login(self, request):
        # The authorization view only gets here with a signed-in user: an anonymous one is
        # answered login_required by the view itself.
        return True

    def validate_silent_authorization(self, request):
        # The test client skips the consent page (skip_authorization), so there is nothing to ask.
        return True

    def refresh_id_token(self, request):
        return STATE["refresh_id_token"]

    def get_additional_claims(self, request):
        return {"email": request.user.email, "name": request.user.get_full_name()}
