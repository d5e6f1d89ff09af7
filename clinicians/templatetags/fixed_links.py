"""{% fixed_url 'name' %} and {% fixed_url 'name' some_uuid %}: {% url %}, with each URL pattern reversed
once per process.

The menu on every page has up to nine links without arguments, and a record's page several more to
the record itself; reversing each on every request was a quarter of rendering a page's frame. A link
changes only with the URL configuration and the script prefix, which are both in the key. Arguments
must be UUIDs: the pattern is reversed once with stand-in UUIDs, then each request puts its own in.
"""

import uuid
from functools import lru_cache

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@lru_cache(maxsize=256)
def _pattern(viewname, arity, prefix, urlconf):
    stand_ins = tuple(str(uuid.UUID(int=i + 1)) for i in range(arity))
    return reverse(viewname, args=stand_ins, urlconf=urlconf), stand_ins


@register.simple_tag
def fixed_url(viewname, *args):
    if not all(isinstance(arg, uuid.UUID) for arg in args):
        raise template.TemplateSyntaxError(f"fixed_url takes UUIDs only; use {{% url %}} for {viewname} {args!r}")
    url, stand_ins = _pattern(viewname, len(args), get_script_prefix(), get_urlconf())
    for stand_in, arg in zip(stand_ins, args):
        url = url.replace(stand_in, str(arg))
    return url
