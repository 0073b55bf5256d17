"""What the test changes while the OP runs (through /control, control.py): read by the
validator and, for the access token lifetime, by oauthlib at every token response."""

STATE = {"refresh_id_token": True, "access_token_ttl": 3600}


def access_token_ttl(request):
    return STATE["access_token_ttl"]
