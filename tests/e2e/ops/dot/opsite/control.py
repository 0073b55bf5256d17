"""POST /control with a JSON object: what the next token responses look like
(`refreshIdToken`, `accessTokenTtl`); answers the current values."""

import json

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .state import STATE


@csrf_exempt
def control(request):
    if request.method == "POST":
        change = json.loads(request.body or b"{}")
        if "refreshIdToken" in change:
            STATE["refresh_id_token"] = bool(change["refreshIdToken"])
        if "accessTokenTtl" in change:
            STATE["access_token_ttl"] = int(change["accessTokenTtl"])
    return JsonResponse(
        {"refreshIdToken": STATE["refresh_id_token"], "accessTokenTtl": STATE["access_token_ttl"]}
    )
