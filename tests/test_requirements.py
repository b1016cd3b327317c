"""The pinned files are the compilation of the .in files (`make requirements`): every direct dependency named in
an .in file is pinned with hashes, says it comes from that file, and has its reason; every pin says why it is
there; and the one file `make` installs has a hash on every line, so pip checks every package it downloads."""

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
COMPILED = {"requirements.in": "requirements.txt", "requirements-dev.in": "requirements-dev.txt"}


def canonical(name: str) -> str:
    """A project's name as the package index compares it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def direct(in_file: str) -> dict[str, str]:
    """The projects an .in file names → the comment line right above each, its reason ("" when there is none)."""
    named, reason = {}, ""
    for line in (ROOT / in_file).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("#"):
            reason = line.lstrip("# ")
        elif not line or line.startswith("-"):
            reason = ""
        else:
            named[canonical(NAME.match(line).group(1))], reason = reason, ""
    return named


@dataclass
class Pin:
    version: str
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)


def pins(txt_file: str) -> dict[str, Pin]:
    """A compiled file's pins: project → version, hashes and the `# via` sources pip-compile wrote under it."""
    found: dict[str, Pin] = {}
    current, in_via = None, False
    for raw in (ROOT / txt_file).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        match = PIN.match(raw)
        if match:
            current, in_via = found.setdefault(canonical(match.group(1)), Pin(match.group(2))), False
        elif raw and not raw[0].isspace() and not raw.startswith("#"):
            pytest.fail(f"{txt_file}: a line that is not a pin: {raw!r}")
        elif current and line.startswith("--hash="):
            current.hashes.append(line.removeprefix("--hash=").rstrip(" \\"))
        elif current and line.startswith("# via"):
            in_via = True
            if line != "# via":
                current.via.append(line.removeprefix("# via").strip())
        elif current and in_via and line.startswith("#   "):
            current.via.append(line.removeprefix("#").strip())
        elif not raw.startswith(" "):
            current, in_via = None, False
    return found


@pytest.mark.parametrize("in_file", list(COMPILED))
def test_every_direct_dependency_is_pinned_with_hashes_and_comes_from_its_in_file(in_file):
    named, pinned = direct(in_file), pins(COMPILED[in_file])
    unpinned = sorted(n for n in named if n not in pinned)
    unhashed = sorted(n for n in named if n in pinned and not pinned[n].hashes)
    not_from_in = sorted(n for n in named if n in pinned and f"-r {in_file}" not in pinned[n].via)
    assert (unpinned, unhashed, not_from_in) == ([], [], [])


@pytest.mark.parametrize("in_file", list(COMPILED))
def test_a_pin_that_says_it_comes_from_an_in_file_is_named_there(in_file):
    # A dependency taken out of the .in file and not recompiled out of the .txt file still says "-r <in file>".
    named = direct(in_file)
    stale = sorted(n for n, pin in pins(COMPILED[in_file]).items() if f"-r {in_file}" in pin.via and n not in named)
    assert stale == []


@pytest.mark.parametrize("txt_file", list(COMPILED.values()))
def test_every_pin_has_hashes_and_says_why_it_is_there(txt_file):
    pinned = pins(txt_file)
    assert len(pinned) > 20
    assert sorted(n for n, pin in pinned.items() if not pin.via) == []
    unhashed = sorted(n for n, pin in pinned.items() if not pin.hashes or any(h[:7] != "sha256:" for h in pin.hashes))
    assert unhashed == []


@pytest.mark.parametrize("in_file", list(COMPILED))
def test_every_direct_dependency_has_its_reason(in_file):
    assert sorted(n for n, reason in direct(in_file).items() if not reason) == []


def test_the_development_file_holds_every_runtime_pin_at_the_same_version():
    # `make` installs requirements-dev.txt alone: the runtime pins must be in it, hashed, at production's versions.
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    assert {n: dev[n].version if n in dev else None for n in runtime} == {n: p.version for n, p in runtime.items()}
    assert {n: sorted(dev[n].hashes) for n in runtime} == {n: sorted(p.hashes) for n, p in runtime.items()}


def test_make_installs_only_the_hashed_development_file():
    installs = re.findall(r"\$\(PY\) -m pip install .*", (ROOT / "Makefile").read_text(encoding="utf-8"))
    assert installs and all(line.endswith(" -r requirements-dev.txt") for line in installs)
    # Nothing comes in beside it without a hash: requirements-dev.txt sends pip to no other file.
    lines = (ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if line.startswith("-")] == []
