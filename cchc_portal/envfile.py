"""One environment file for both of its readers: systemd's `EnvironmentFile=` (the portal and its worker) and a
shell's `set -a; . FILE` (the cron jobs). They agree only on a plain subset:

- one `NAME=value` per line, no space around `=`;
- a value with anything beyond letters, digits and `_ . / : @ , + - =` (a space, `<`, `>`, `$`, `&`, `;`, `#`, a
  backslash, a double quote, a backtick, `~`, a letter with diacritics) goes in single quotes: `'…'` is literal
  to both; a value cannot contain a single quote;
- comments on their own line, starting with `#` (after a value, systemd keeps `# …` as part of the value).

`parse_systemd` reads a file the way systemd does (a port of the state machine of systemd's env-file.c);
`read_with_sh` sources it with /bin/sh in an empty environment; `disagreements` names, in Vietnamese, every line
the two read differently. `python -m cchc_portal.envfile /etc/cchc/env` prints them (exit 1) or says that the two
agree (exit 0); it needs no settings, so it runs before the file is right.
"""

import subprocess
import sys
from pathlib import Path

WHITESPACE, NEWLINE, COMMENTS, SHELL_NEED_ESCAPE = " \t\n\r", "\n\r", "#;", '"\\`$'

E_SH_REFUSED = "sh không đọc được tệp (lỗi {code}): {error}"
E_DIFFERENT = (
    "{name}: systemd đọc “{systemd}”, sh đọc “{sh}” — đặt giá trị trong dấu nháy đơn '…', chú thích trên dòng riêng."
)
E_ONLY_SYSTEMD = "{name}: chỉ systemd đọc được dòng này; sh bỏ qua hoặc hiểu khác — viết TÊN=giá-trị, không dấu cách."
E_ONLY_SH = "{name}: chỉ sh đặt biến này; systemd không đọc được dòng của nó."


def parse_systemd(text: str) -> dict[str, str]:
    """The variables systemd's EnvironmentFile= takes from `text` (no `$` expansion, quotes removed)."""
    found: dict[str, str] = {}
    state, key, value = "pre_key", [], []
    key_ws = value_ws = None  # where trailing whitespace of the key / an unquoted value starts

    def push():
        name = "".join(key[:key_ws] if key_ws is not None else key)
        if name and (name[0].isalpha() or name[0] == "_") and all(c.isalnum() or c == "_" for c in name):
            found[name] = "".join(value)

    for c in text:
        if state == "pre_key":
            if c in COMMENTS:
                state = "comment"
            elif c not in WHITESPACE:
                state, key, key_ws = "key", [c], None
        elif state == "key":
            if c in NEWLINE:
                state, key = "pre_key", []
            elif c == "=":
                state, value, value_ws = "pre_value", [], None
            else:
                if c not in WHITESPACE:
                    key_ws = None
                elif key_ws is None:
                    key_ws = len(key)
                key.append(c)
        elif state == "pre_value":
            if c in NEWLINE:
                push()
                state = "pre_key"
            elif c == "'":
                state = "single"
            elif c == '"':
                state = "double"
            elif c == "\\":
                state = "value_escape"
            elif c not in WHITESPACE:
                state = "value"
                value.append(c)
        elif state == "value":
            if c in NEWLINE:
                if value_ws is not None:
                    del value[value_ws:]
                push()
                state = "pre_key"
            elif c == "\\":
                state, value_ws = "value_escape", None
            else:
                if c not in WHITESPACE:
                    value_ws = None
                elif value_ws is None:
                    value_ws = len(value)
                value.append(c)
        elif state == "value_escape":
            state = "value"
            if c not in NEWLINE:
                value.append(c)
        elif state == "single":
            if c == "'":
                state = "pre_value"
            else:
                value.append(c)
        elif state == "double":
            if c == '"':
                state = "pre_value"
            elif c == "\\":
                state = "double_escape"
            else:
                value.append(c)
        elif state == "double_escape":
            state = "double"
            if c in SHELL_NEED_ESCAPE:
                value.append(c)
            elif c != "\n":
                value += ["\\", c]
        elif state == "comment":
            if c == "\\":
                state = "comment_escape"
            elif c in NEWLINE:
                state = "pre_key"
        elif state == "comment_escape":
            state = "comment"
    if state == "value" and value_ws is not None:
        del value[value_ws:]
    if state in ("pre_value", "value", "value_escape", "single", "double", "double_escape"):
        push()
    return found


def read_with_sh(path: Path) -> tuple[dict[str, str], str]:
    """The variables `set -a; . FILE` exports, run by /bin/sh in an empty environment as cron runs it; and sh's
    error output ("" when it read the file)."""
    script = 'set -a; . "$1" || exit 97; exec env -0'
    base = {"PATH": "/usr/bin:/bin"}
    done = subprocess.run(["/bin/sh", "-c", script, "sh", str(Path(path).resolve())], env=base, capture_output=True)
    if done.returncode:
        return {}, f"{done.returncode}: {done.stderr.decode(errors='replace').strip()}"
    empty = subprocess.run(["/bin/sh", "-c", "exec env -0"], env=base, capture_output=True, check=True)
    baseline = _split(empty.stdout)
    return {k: v for k, v in _split(done.stdout).items() if k not in baseline or k == "PATH"}, ""


def _split(output: bytes) -> dict[str, str]:
    pairs = (item.decode(errors="replace").partition("=") for item in output.split(b"\0") if item)
    return {name: value for name, _, value in pairs}


def disagreements(path: Path) -> list[str]:
    """Every variable that systemd and sh read differently from the file, in Vietnamese; [] when they agree."""
    systemd = parse_systemd(Path(path).read_text(encoding="utf-8"))
    sh, error = read_with_sh(path)
    if error:
        code, _, message = error.partition(": ")
        return [E_SH_REFUSED.format(code=code, error=message)]
    problems = []
    for name in sorted(systemd.keys() | sh.keys()):
        if name not in sh:
            problems.append(E_ONLY_SYSTEMD.format(name=name))
        elif name not in systemd:
            if name != "PATH":
                problems.append(E_ONLY_SH.format(name=name))
        elif systemd[name] != sh[name]:
            problems.append(E_DIFFERENT.format(name=name, systemd=systemd[name], sh=sh[name]))
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("Dùng: python -m cchc_portal.envfile /etc/cchc/env", file=sys.stderr)
        return 2
    path = Path(argv[0])
    try:
        problems = disagreements(path)
        count = len(parse_systemd(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError) as exc:
        print(f"Không đọc được “{path}”: {exc}", file=sys.stderr)
        return 2
    if problems:
        print(f"systemd và sh đọc “{path}” khác nhau; việc định kỳ sẽ không chạy đúng:", file=sys.stderr)
        print("\n".join(f"- {problem}" for problem in problems), file=sys.stderr)
        return 1
    print(f"“{path}”: systemd và sh đọc cùng {count} biến, cùng giá trị.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
