"""Vietnamese alphabetical order (a ă â b c d đ e ê … ư v x y), as one sort key per text: the ranking engine breaks
ties by it, and a unit keeps its name's key (units.Unit.sort_key) so that a national table is not keyed anew."""

import unicodedata
from functools import lru_cache

_BREVE = "\u0306"
_CIRCUMFLEX = "\u0302"
_HORN = "\u031b"

# f, j, w and z are not Vietnamese letters; they sit where they would in the Latin alphabet.
_LETTERS = (
    "a", "a" + _BREVE, "a" + _CIRCUMFLEX, "b", "c", "d", "\u0111", "e", "e" + _CIRCUMFLEX,
    "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "o" + _CIRCUMFLEX, "o" + _HORN, "p",
    "q", "r", "s", "t", "u", "u" + _HORN, "v", "w", "x", "y", "z",
)  # fmt: skip
_LETTER_ORDER = {letter: order for order, letter in enumerate(_LETTERS)}
_LETTER_MODIFIERS = (_BREVE, _CIRCUMFLEX, _HORN)

# Tone order: none, huyền, hỏi, ngã, sắc, nặng.
_TONE_ORDER = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}

# Character classes at the primary level: a shorter word sorts before a longer one.
_CLASS_SEPARATOR = 0
_CLASS_DIGIT = 1
_CLASS_LETTER = 2
_CLASS_OTHER_LETTER = 3


# The key is a string that compares as the tuple of levels would (its characters compared one by one, as Python
# and a "C" collation compare text): each letter's primary weight is two characters (its class, then its place in
# the class), each tone and case one character from "0"; the levels are joined by _LEVEL, lower than any of those,
# so a shorter level sorts first; the other marks of each letter end with _END, lower than any mark. Neither is
# NUL, so a database column can hold the key.
_LEVEL = "\x01"
_END = "\x02"
_WEIGHT = 0x30


def vietnamese_sort_key(text: str) -> str:
    """Sort key for Vietnamese alphabetical order (a ă â b c d đ e ê … ư v x y).

    Levels: letters (case-insensitive), then tones (none, huyền, hỏi, ngã, sắc, nặng),
    then case (lowercase first), then any other marks. NFC and NFD input give the same key.
    Units keep theirs (units.Unit.sort_key), so a national table is not keyed anew for every request.
    """
    elements = [_element(base, marks) for base, marks in _clusters(text)]
    return _LEVEL.join(("".join(e[0] for e in elements), "".join(e[1] for e in elements),
                        "".join(e[2] for e in elements), "".join(e[3] for e in elements)))  # fmt: skip


def _clusters(text: str) -> list[tuple[str, str]]:
    """Split NFD text into (base character, following combining marks)."""
    clusters: list[tuple[str, str]] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char) and clusters:
            base, marks = clusters[-1]
            clusters[-1] = (base, marks + char)
        else:
            clusters.append((char, ""))
    return clusters


@lru_cache(maxsize=4096)
def _element(base: str, marks: str) -> tuple[str, str, str, str]:
    """(primary, tone, case, other marks) for one base character and its marks.

    Remembered: names are written with a few hundred distinct characters, and a national table sorts 3,321."""
    lower = base.lower()
    letter = lower
    for mark in _LETTER_MODIFIERS:
        if mark in marks and lower + mark in _LETTER_ORDER:
            letter, marks = lower + mark, marks.replace(mark, "", 1)
            break
    tone = 0
    for mark in marks:
        if mark in _TONE_ORDER:
            tone, marks = _TONE_ORDER[mark], marks.replace(mark, "", 1)
            break
    case = 1 if base != lower else 0
    kind, place = _primary(letter)
    # Letters and digits have small places (shifted past the separators); other characters are placed by their
    # code point, which is a character already.
    place = place + _WEIGHT if kind in (_CLASS_LETTER, _CLASS_DIGIT) else place
    return chr(_WEIGHT + kind) + chr(place), chr(_WEIGHT + tone), chr(_WEIGHT + case), "".join(sorted(marks)) + _END


def _primary(letter: str) -> tuple[int, int]:
    if letter in _LETTER_ORDER:
        return _CLASS_LETTER, _LETTER_ORDER[letter]
    digit = unicodedata.decimal(letter, None) if len(letter) == 1 else None
    if digit is not None:
        return _CLASS_DIGIT, digit
    if letter.isalpha():
        return _CLASS_OTHER_LETTER, ord(letter[0])
    return _CLASS_SEPARATOR, ord(letter[0])
