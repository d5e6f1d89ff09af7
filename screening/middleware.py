"""While the clinic's tablet is handed to a client, its session opens the client's pages only."""

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve

from screening.selfreport import TABLET_SESSION_KEY


class TabletMiddleware:
    """Every other page (the clinician's, the admin, logging out) sends the client back to their
    questions; getting out takes the clinician's password (tablet_return)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if TABLET_SESSION_KEY in request.session and request.user.is_authenticated:
            try:
                match = resolve(request.path_info)
                allowed = match.namespace == "selfreport" and match.url_name.startswith("tablet_")
            except Resolver404:
                allowed = False
            if not allowed:
                if request.headers.get("X-Autosave"):
                    return JsonResponse({"saved": 0, "message": "This device is handed to a client."}, status=409)
                return redirect("selfreport:tablet_start")
        return self.get_response(request)
