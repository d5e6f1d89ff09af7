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
