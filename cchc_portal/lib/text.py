"""Text from any input — a form, the admin, an imported file — checked once, by one rule.

- NUL and the other control characters (C0, DEL, C1) are refused: they cannot be seen, they break XML
  (so a workbook export) and PostgreSQL refuses NUL outright. Tab and line breaks are allowed only in
  multi-line fields (explanations, comments, reasons); elsewhere white space is folded to one space.
- Bidirectional control characters (U+202A–U+202E, U+2066–U+2069) are refused: they can make a name
  read as something else ("Sở Y tế" shown while it sorts and matches as another text).
- Lengths are checked here, before the database, so SQLite and PostgreSQL give the same message.
- Text is stored in Unicode NFC, trimmed.

`TextProblem.message` is Vietnamese and names the field, the character and its position.
"""

import unicodedata
from dataclasses import dataclass

E_CONTROL = "{label} chứa ký tự điều khiển không in được ({char} ở vị trí {position}); hãy xóa ký tự này."
E_BIDI = (
    "{label} chứa ký tự đảo chiều văn bản ({char} ở vị trí {position}), có thể làm chữ hiển thị khác với nội dung "
    "thật; hãy xóa ký tự này."
)
E_TOO_LONG = "{label} dài {length} ký tự, vượt quá {limit} ký tự."

_LINE_BREAKS = {"\n", "\r", "\t"}
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


@dataclass(frozen=True)
class TextProblem(ValueError):
    """Why a text is refused, in Vietnamese."""

    message: str

    def __str__(self) -> str:
        return self.message


def normalize_name(text: str) -> str:
    """NFC, trimmed, inner white space folded: how names and one-line texts are stored."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def name_key(text: str) -> str:
    """What two spellings of one name have in common (case and Unicode form aside)."""
    return normalize_name(text).casefold()


_PUNCTUATION = str.maketrans(dict.fromkeys("-–—,.;:()/&", " "))


def unit_key(text: str, places: tuple[str, ...] = ()) -> str:
    """What two spellings of one unit's name have in common across announcements: case, punctuation and spacing
    aside, and without the province named at its end ("Thanh tra tỉnh", "Thanh tra Thừa Thiên Huế" → "thanh tra";
    "Sở Lao động - Thương binh và Xã hội" = "Sở Lao động, Thương binh và Xã hội"). `places` are the province's
    names ("Thừa Thiên Huế", "thành phố Huế")."""
    key = " ".join(name_key(text).translate(_PUNCTUATION).split())
    suffixes = sorted({name_key(p) for p in places if p} | {"tỉnh"}, key=len, reverse=True)
    for suffix in suffixes:
        for form in (f" tỉnh {suffix}", f" thành phố {suffix}", f" {suffix}"):
            if key.endswith(form) and len(key) > len(form):
                return key[: -len(form)].strip()
    return key


def search_key(text: str) -> str:
    """A name as a search compares it: no case, no diacritics, đ as d ("Quảng Điền" → "quang dien"), so a
    reader typing without Vietnamese marks still finds it."""
    decomposed = unicodedata.normalize("NFD", name_key(text).replace("đ", "d"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F


def text_problem(text: str, *, multiline: bool = False, max_length: int | None = None, label: str = "Nội dung"):
    """The first reason `text` (as it will be stored) is refused, or None."""
    for position, char in enumerate(text, start=1):
        if is_control(char) and not (multiline and char in _LINE_BREAKS):
            return TextProblem(E_CONTROL.format(label=label, char=f"U+{ord(char):04X}", position=position))
        if char in _BIDI:
            return TextProblem(E_BIDI.format(label=label, char=f"U+{ord(char):04X}", position=position))
    if max_length is not None and len(text) > max_length:
        return TextProblem(E_TOO_LONG.format(label=label, length=len(text), limit=max_length))
    return None


def clean_text(value, *, multiline: bool = False, max_length: int | None = None, label: str = "Nội dung") -> str:
    """Text ready to store: NFC and trimmed (one-line text also folded); TextProblem when refused.

    Control characters are looked for before one-line text is folded, so a tab or a line break typed
    into a name is refused, not silently turned into a space."""
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip()
    problem = text_problem(text, multiline=multiline, label=label)
    if problem is not None:
        raise problem
    if not multiline:
        text = " ".join(text.split())
    if max_length is not None and len(text) > max_length:
        raise TextProblem(E_TOO_LONG.format(label=label, length=len(text), limit=max_length))
    return text


def without_controls(text: str) -> str:
    """Text that is metadata, not input to refuse (an uploaded file's name): control and bidirectional
    characters dropped, white space folded."""
    return normalize_name("".join(c for c in str(text) if not is_control(c) and c not in _BIDI))
