"""Project-wide error answers. A request from the autosave script gets JSON with a message (it reads
nothing else); any other gets the readable page."""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.csrf import csrf_failure as html_csrf_failure


def healthz(request):
    """For a load balancer: the app answers. Touches no database and no session."""
    return HttpResponse("ok", content_type="text/plain")


def wants_json(request):
    return bool(request.headers.get("X-Autosave")) or request.path.endswith("/autosave/")


def bad_request(request, exception=None):
    """400, including a body over DATA_UPLOAD_MAX_MEMORY_SIZE or too many fields."""
    name = type(exception).__name__ if exception is not None else ""
    if name == "RequestDataTooBig":
        message = "Not saved: the request was too large. Reload the page; answers already saved are kept."
    elif name == "TooManyFieldsSent":
        message = "Not saved: the request had too many fields. Reload the page and answer again."
    else:
        message = "Not saved: the request could not be read. Reload the page and answer again."
    if wants_json(request):
        return JsonResponse({"saved": 0, "message": message, "errors": {}}, status=400)
    return render(request, "400.html", {"message": message}, status=400)


def csrf_failure(request, reason=""):
    if wants_json(request):
        return JsonResponse({"saved": 0, "message": "Not saved: the page's security token has expired. "
                             "Reload the page; answers already saved are kept.", "errors": {}}, status=403)
    return html_csrf_failure(request, reason)
