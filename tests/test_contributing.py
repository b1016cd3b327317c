"""CONTRIBUTING.md names real files: every path it writes in backticks exists, so a file that moves or goes away
fails here until the guide follows it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "CONTRIBUTING.md"
EXTENSIONS = (".py", ".md", ".html", ".txt", ".in", ".toml", ".json", ".csv", ".js", ".css", ".po", ".xlsx")


def named_paths(text: str) -> list[str]:
    """Backticked words that look like a path in the repository: a folder or a file, no spaces, not an address of
    the site (`/xep-hang/…`), not a pattern with placeholders (`templates/reports/<name>.html`)."""
    paths = []
    for word in re.findall(r"`([^`\n]+)`", text):
        word = word.split("::")[0]
        if re.search(r"\s|^/|://|[<>{}…*=:]", word) or re.fullmatch(r"\.\w+", word):  # `.xlsx`: a kind, not a file
            continue
        if "/" in word or word.endswith(EXTENSIONS):
            paths.append(word)
    return paths


def test_the_guide_names_paths_and_the_finder_skips_what_is_not_one():
    assert len(named_paths(GUIDE.read_text(encoding="utf-8"))) > 50
    sample = "`scoring/imports/results.py` `/xep-hang/2025/so/` `reports:<name>` `make test` `E_…` `.in` `PUBLIC_VIEWS`"
    assert named_paths(sample) == ["scoring/imports/results.py"]


def test_every_path_the_guide_names_exists():
    missing = sorted({p for p in named_paths(GUIDE.read_text(encoding="utf-8")) if not (ROOT / p).exists()})
    assert missing == []


def test_every_test_the_guide_names_is_defined():
    named = set(re.findall(r"`(test_\w+)`", GUIDE.read_text(encoding="utf-8")))
    defined = {m for p in (ROOT / "tests").rglob("test_*.py") for m in re.findall(r"def (test_\w+)", p.read_text())}
    assert named and named - defined == set()
