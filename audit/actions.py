"""The registry of audit actions: namespaced strings ("screening.completed") with display text.

Each app declares its own in an `audit_actions.py` module holding `ACTIONS = {name: text}`; the audit
app collects them when Django starts. A new action is a line there: no migration anywhere, because
the trail stores the name as a string. A name nobody registered is refused when written.
"""

import re
from importlib import import_module, util

from django.apps import apps

NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")

_labels = {}


def register(actions, owner):
    for name, label in actions.items():
        if not NAME.match(name):
            raise ValueError(f"{owner}: audit action {name!r} is not 'namespace.verb'")
        if _labels.get(name, label) != label:
            raise ValueError(f"{owner}: audit action {name!r} is registered twice with different text")
        _labels[name] = label


def collect():
    """Register the ACTIONS of every installed app that has an audit_actions module."""
    for config in apps.get_app_configs():
        module_name = f"{config.name}.audit_actions"
        if util.find_spec(module_name) is not None:
            register(import_module(module_name).ACTIONS, config.name)


def is_registered(name):
    return name in _labels


def label(name):
    """Display text; an unknown name (an action retired from the code) reads as itself."""
    return _labels.get(name, name)


def choices():
    return sorted(_labels.items(), key=lambda pair: pair[1])
