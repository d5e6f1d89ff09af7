"""{% fixed_url %} says what {% url %} says, under any script prefix."""

from django.template import Context, Template
from django.urls import clear_script_prefix, reverse, set_script_prefix


def render(text):
    return Template("{% load fixed_links %}" + text).render(Context())


def test_fixed_url_is_the_url_tag_for_a_view_without_arguments():
    for name in ("screening:home", "screening:client_list", "reports:clinic_export", "logout"):
        assert render(f"{{% fixed_url '{name}' %}}") == render(f"{{% url '{name}' %}}") == reverse(name)


def test_a_script_prefix_is_part_of_the_key():
    before = render("{% fixed_url 'screening:client_list' %}")
    set_script_prefix("/clinic-a/")
    try:
        assert render("{% fixed_url 'screening:client_list' %}") == "/clinic-a" + before
    finally:
        clear_script_prefix()
    assert render("{% fixed_url 'screening:client_list' %}") == before


def test_fixed_url_with_uuids_is_the_url_tag_with_them():
    import uuid

    from django.template import TemplateSyntaxError

    one, two = uuid.uuid4(), uuid.uuid4()
    for first in (one, two):  # the pattern is kept; each call puts its own ids in
        context = Context({"id": first})
        assert (Template("{% load fixed_links %}{% fixed_url 'reports:results' id %}").render(context)
                == Template("{% url 'reports:results' id %}").render(context) == reverse("reports:results", args=[first]))
    try:
        Template("{% load fixed_links %}{% fixed_url 'reports:results' 'not-a-uuid' %}").render(Context())
    except TemplateSyntaxError as error:
        assert "UUIDs only" in str(error)
    else:
        raise AssertionError("a string argument was taken")
