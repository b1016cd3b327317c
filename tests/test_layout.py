"""The shape the code keeps: apps depend one way (reports → scoring → units → cchc_portal), the shared
library depends on no app and not on Django, and the scoring engine stays pure."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Which of our packages each package may import (besides the standard library and third parties).
ALLOWED = {
    "cchc_portal/lib": {"cchc_portal.lib"},
    "units": {"cchc_portal", "units"},
    "scoring": {"cchc_portal", "units", "scoring"},
    "reports": {"cchc_portal", "units", "scoring", "reports"},
}
OURS = {"cchc_portal", "units", "scoring", "reports", "tests", "benchmarks"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", list(ALLOWED))
def test_each_package_imports_only_what_is_below_it(package):
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        for name in imports_of(path):
            top = name.split(".")[0]
            if top in OURS and not any(name == a or name.startswith(f"{a}.") for a in ALLOWED[package]):
                found.setdefault(str(path.relative_to(ROOT)), []).append(name)
    assert found == {}


def test_the_shared_library_and_the_engine_do_not_import_django():
    paths = [
        *(ROOT / "cchc_portal" / "lib").rglob("*.py"),
        ROOT / "scoring" / "ranking.py",
        ROOT / "scoring" / "tree.py",
    ]
    for path in paths:
        assert not any(name.split(".")[0] == "django" for name in imports_of(path)), path


def test_no_module_imports_a_migration():
    for package in ("cchc_portal", "units", "scoring", "reports", "benchmarks"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            assert ".migrations." not in text or "import_module" not in text, path
