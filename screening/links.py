"""Links reversed once per process instead of once per row or per page: a list page's rows, the menu,
a record's links to itself ({% fixed_url %}, screening/templatetags/fixed_links.py)."""

import uuid
from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse

ROW = str(uuid.UUID(int=0))  # stands for the row's id among a link's arguments


@lru_cache(maxsize=256)
def _reversed(viewname, args, prefix, urlconf):
    # The script prefix and URL configuration are in the key: a link changes only with them.
    return reverse(viewname, args=list(args), urlconf=urlconf)


def fixed_link(viewname, *args):
    """reverse(viewname, args=args), reversed once per process."""
    return _reversed(viewname, args, get_script_prefix(), get_urlconf())


def row_link(viewname, *args):
    """A function from a row's id (a UUID) to the URL of `viewname` for that row, from one reverse():
    row_link("screening:client_detail")(client.id) == reverse("screening:client_detail", args=[client.id]).
    With `args`, ROW marks where the row's id goes: row_link("screening:screening_step", ROW, "bonds")."""
    head, _, tail = fixed_link(viewname, *(args or [ROW])).partition(ROW)
    return lambda row_id: f"{head}{row_id}{tail}"
