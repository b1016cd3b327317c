"""The shape the code keeps: apps depend one way (reports → scoring → units → cchc_portal), the shared
library depends on no app and not on Django, the scoring engine stays pure, and a test fixture's name means one
thing everywhere."""

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


# The code is laid out by audience inside the apps (README, "Bản đồ mã"; CONTRIBUTING.md): the domain in scoring/,
# readers and import services in scoring/imports/, files going out in scoring/exports/, operations in scoring/ops/,
# the staff web layer in scoring/staff/ (with the admin and the entry sheet's template tags), the public site in
# reports/. Which of those packages each may import from the others:
STAFF_WEB = ("scoring.staff",)
AUDIENCES = {
    # the public site: no staff page, no roles, no files meant for the staff
    "reports": ("scoring.staff", "scoring.permissions", "scoring.exports", "scoring.imports", "scoring.accounts"),
    # the domain and the layers under the web pages: never a page
    "scoring/imports": STAFF_WEB,
    "scoring/exports": STAFF_WEB,
    "scoring/ops": STAFF_WEB + ("scoring.imports", "scoring.exports"),
    "scoring/accounts": STAFF_WEB,
    "scoring/management": STAFF_WEB,
}
DOMAIN_MODULES = [p for p in (ROOT / "scoring").glob("*.py") if p.name != "admin.py"]


def _forbidden(paths, prefixes):
    return {
        str(path.relative_to(ROOT)): sorted(n for n in imports_of(path) if n.startswith(prefixes))
        for path in paths
        if any(n.startswith(prefixes) for n in imports_of(path))
    }


@pytest.mark.parametrize("package", list(AUDIENCES))
def test_each_audience_imports_only_what_it_may(package):
    assert _forbidden((ROOT / package).rglob("*.py"), AUDIENCES[package]) == {}


def test_the_domain_modules_import_no_staff_page():
    assert _forbidden(DOMAIN_MODULES, STAFF_WEB) == {}


def test_the_public_site_has_no_staff_route_and_no_role_check():
    # Every /cham-diem/ and /viec/ route is the staff layer's; the public app's URLs are the public site's alone.
    urls = (ROOT / "reports" / "urls.py").read_text(encoding="utf-8")
    assert "cham-diem/" not in urls and "viec/" not in urls
    assert "login_required" not in "".join(p.read_text(encoding="utf-8") for p in (ROOT / "reports").rglob("*.py"))


PACKAGES = ("cchc_portal", "units", "scoring", "reports")
NOT_MAPPED = {"migrations", "management", "__pycache__"}


def code_map() -> dict[str, str]:
    """The README's code map: each package (a line whose first word ends in "/", nested by indentation) → the text
    of its lines."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("Bản đồ mã.", 1)[1].split("```\n", 2)[1]
    sections: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in block.splitlines():
        indent = len(line) - len(line.lstrip())
        first = line.split()[0] if line.strip() else ""
        if first.endswith("/") and line.strip():
            while stack and stack[-1][0] >= indent:
                stack.pop()
            name = "/".join([s[1] for s in stack] + [first.rstrip("/")])
            stack.append((indent, first.rstrip("/")))
            sections[name] = line[indent + len(first):]
        elif stack:
            while stack and stack[-1][0] >= indent:
                stack.pop()
            if stack:
                sections["/".join(s[1] for s in stack)] += " " + line
    return sections


def test_the_readme_code_map_names_every_package_and_module():
    sections = code_map()
    missing = []
    for top in PACKAGES:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if NOT_MAPPED & set(parts) or path.name == "__init__.py":
                continue
            package = "/".join(parts[:-1])
            if package not in sections:
                missing.append(f"{package}/")
            elif path.name not in sections[package]:
                missing.append(str(path.relative_to(ROOT)))
    mapped_packages = {p for p in sections if (ROOT / p).is_dir()}
    assert sorted(set(missing)) == [] and mapped_packages == set(sections), sorted(set(sections) - mapped_packages)


def fixtures_in(path: Path) -> list[str]:
    """The names of the pytest fixtures a module defines (at its top level or in a class), as pytest registers them."""
    found = []
    nodes = ast.parse(path.read_text(encoding="utf-8")).body
    for node in [*nodes, *(n for c in nodes if isinstance(c, ast.ClassDef) for n in c.body)]:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            if ast.unparse(call.func if call else decorator) in ("pytest.fixture", "fixture"):
                named = [k.value.value for k in (call.keywords if call else []) if k.arg == "name"]
                found.append(named[0] if named else node.name)
    return found


def test_each_fixture_name_means_one_thing_and_is_defined_in_one_place():
    """A test that asks for `cast` gets the one cast: no module defines its own fixture under a name that another
    module, conftest, pytest or pytest-django already gives (that would shadow it, or mean something else there).
    A scenario two modules need lives in tests/conftest.py."""
    import _pytest
    import pytest_django

    pytest_django_fixtures = Path(pytest_django.__file__).parent / "fixtures.py"
    sources = [
        *((path, str(path.relative_to(ROOT))) for path in sorted((ROOT / "tests").rglob("*.py"))),
        (pytest_django_fixtures, "pytest_django/fixtures.py"),
        *((path, f"_pytest/{path.name}") for path in sorted(Path(_pytest.__file__).parent.glob("*.py"))),
    ]
    places: dict[str, list[str]] = {}
    for path, where in sources:
        if "vendor" not in path.parts:
            for name in fixtures_in(path):
                places.setdefault(name, []).append(where)
    # The census sees what it must: conftest's cast, pytest-django's client, pytest's tmp_path.
    assert places["cast"] == ["tests/conftest.py"]
    assert (places["client"], places["tmp_path"]) == (["pytest_django/fixtures.py"], ["_pytest/tmpdir.py"])
    assert {name: where for name, where in places.items() if len(where) > 1} == {}


def test_no_function_of_the_public_site_is_more_complex_than_15():
    # Cyclomatic complexity as radon counts it (branches, loops, boolean operators, comprehensions): a page's
    # selector that grows past 15 is split into named steps with their own tests.
    from radon.complexity import cc_visit

    def functions(blocks):
        for block in blocks:
            yield from functions(getattr(block, "methods", ())) if hasattr(block, "methods") else (block,)

    found = {
        f"{path.relative_to(ROOT)}:{block.lineno} {block.name}": block.complexity
        for path in (ROOT / "reports").rglob("*.py")
        if "migrations" not in path.parts
        for block in functions(cc_visit(path.read_text(encoding="utf-8")))
        if block.complexity > 15
    }
    assert found == {}


def test_no_module_imports_a_private_name_of_another():
    # A name with a leading underscore is its module's own: another module that needs it asks for it to be public.
    found = []
    for top in PACKAGES:
        for path in (ROOT / top).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in OURS:
                    private = [a.name for a in node.names if a.name[0] == "_"]
                    found += [f"{path.relative_to(ROOT)}: {node.module}.{name}" for name in private]
    assert found == []
