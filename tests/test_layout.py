"""The architecture, checked: imports run one way, clinicians → audit → screening → reports.

Every module under the four apps is read (not imported) and each import of another app is compared
with the order. scoring.py is pure: it imports nothing of Django.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["clinicians", "audit", "screening", "reports"]


def _modules(app):
    return sorted(path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts)


def _imported(path):
    """The top-level package of every import in the module, with its line number."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0], node.lineno


def _upward_imports():
    found = []
    for rank, app in enumerate(ORDER):
        for path in _modules(app):
            for package, line in _imported(path):
                if package in ORDER and ORDER.index(package) > rank:
                    found.append(f"{path.relative_to(ROOT)}:{line} imports {package}")
    return found


def test_every_app_has_modules():
    assert all(_modules(app) for app in ORDER)


def test_no_module_imports_against_the_order():
    assert _upward_imports() == []


def test_the_check_catches_an_upward_import(tmp_path, monkeypatch):
    # The check itself must be able to fail: an accounts module importing screening is reported.
    fake_root = tmp_path
    for app in ORDER:
        (fake_root / app).mkdir()
        (fake_root / app / "__init__.py").write_text("")
    (fake_root / "clinicians" / "bad.py").write_text("from screening.models import Client\n")
    monkeypatch.setitem(globals(), "ROOT", fake_root)
    assert _upward_imports() == ["clinicians/bad.py:1 imports screening"]


@pytest.mark.parametrize("module", ["screening/scoring.py", "screening/progress.py", "screening/reliability.py", "screening/schedule.py",
                                    "screening/instrument.py"])
def test_pure_modules_import_nothing_of_django(module):
    imported = {package for package, _line in _imported(ROOT / module)}
    assert "django" not in imported
    assert not imported & {"clinicians", "audit", "reports"}
