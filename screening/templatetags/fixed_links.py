"""{% fixed_url 'name' %} and {% fixed_url 'name' some_uuid %}: {% url %}, reversed once per process
(screening.links).

The menu on every page has up to nine links without arguments, and a record's page several more to
the record itself; reversing each on every request was a quarter of rendering a page's frame. The one
argument, if any, must be a UUID: it takes the place of the stand-in the pattern was reversed with.
"""

import uuid

from django import template

from screening.links import fixed_link, row_link

register = template.Library()


@register.simple_tag
def fixed_url(viewname, *args):
    if not args:
        return fixed_link(viewname)
    if len(args) != 1 or not isinstance(args[0], uuid.UUID):
        raise template.TemplateSyntaxError(f"fixed_url takes UUIDs only; use {{% url %}} for {viewname} {args!r}")
    return row_link(viewname)(args[0])
