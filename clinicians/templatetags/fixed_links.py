"""{% fixed_url 'name' %}: {% url %} for a view without arguments, reversed once per process.

The menu on every page has up to nine such links; reversing each on every request was a quarter of
rendering a page's frame. A link without arguments changes only with the URL configuration and the
script prefix, which are both in the key.
"""

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@lru_cache(maxsize=256)
def _reverse(viewname, prefix, urlconf):
    return reverse(viewname, urlconf=urlconf)


@register.simple_tag
def fixed_url(viewname):
    return _reverse(viewname, get_script_prefix(), get_urlconf())
