"""The public search, answered from an index of words rather than by reading every published name.

Each name a unit can be found by (reports.models.SearchName) is kept as its words, folded as a reader types them
without marks ("Hương Thủy" → huong, thuy; "Ủy ban nhân dân" also → ubnd), and the runs of its initials
("Sở Lao động, Thương binh và Xã hội" → sldtbxh, ldtbxh, …, so LĐTBXH and NN&PTNT are found). A search finds
the names where every typed word begins one of those words, or a run of initials: a prefix lookup on an index,
the same on SQLite and PostgreSQL. Matches inside a word do not count: "huong" finds Hương Thủy, not Sở Công
Thương. The best matches come first — a whole word typed, then the beginning of a word, then initials — then
today's name before a former one, then by block and name.

The index follows published data: `refresh(units)` runs inside the transaction of every change that can change
the names the public reads (publication, a correction, a unit renamed, a period's status), through
`cchc_portal.public_cache.public_changed(names_of=…)`. `manage.py search_index` rebuilds it whole.
"""

import operator
import re
from functools import reduce

from django.db import connection
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When

from cchc_portal.lib.text import search_key
from reports.models import SearchName, SearchWord
from scoring.models import Result
from units.models import Unit

MAX_WORD = 64  # SearchWord.word's length: a longer typed word is cut as the stored ones are
MAX_TYPED_WORDS = 8  # a 100-character query of one-letter words stays a small query
BATCH = 1000

# Official and everyday spellings of the same words, folded to one before comparing.
SYNONYMS = (("uy ban nhan dan", "ubnd"), ("hoi dong nhan dan", "hdnd"), ("thanh pho", "tp"))
NOT_IN_INITIALS = ("va", "ubnd", "hdnd")
_WORD = re.compile(r"[a-z0-9]+")

WHOLE, START, INITIALS = 3, 2, 1  # how well one typed word matches a name


def _folded(text: str) -> list[str]:
    """The words of `text` with no case or marks, the long official forms folded to their short ones."""
    key = " " + " ".join(_WORD.findall(search_key(text))) + " "
    for long, short in SYNONYMS:
        key = key.replace(f" {long} ", f" {short} ")
    return key.split()


def name_tokens(name: str) -> tuple[set[str], set[str]]:
    """(words, runs of initials) of a name, as the index keeps them."""
    folded = _folded(name)
    words = {word[:MAX_WORD] for word in [*_WORD.findall(search_key(name)), *folded]}
    initials = "".join(word[0] for word in folded if word not in NOT_IN_INITIALS)[:MAX_WORD]
    # Runs of two letters or more: a single letter begins a word anyway.
    return words, {initials[i:] for i in range(len(initials) - 1)}


def typed_words(text: str) -> list[str]:
    """The words a search looks for, in the order typed, each once."""
    words: list[str] = []
    for word in _folded(text):
        if word[:MAX_WORD] not in words:
            words.append(word[:MAX_WORD])
    return words[:MAX_TYPED_WORDS]


def _starting(prefix: str) -> Q:
    """Words that begin with `prefix`, asked so that each database answers from the index on `word`. PostgreSQL:
    LIKE 'huong%' on the pattern index Django makes beside the plain one (whatever the database's collation).
    SQLite: its LIKE ignores case and cannot use a plain index, but the range ['huong', 'huonh') of the binary
    order is the same set, the stored words being lower-case letters and digits."""
    if connection.vendor == "sqlite":
        return Q(word__gte=prefix, word__lt=prefix[:-1] + chr(ord(prefix[-1]) + 1))
    return Q(word__startswith=prefix)


def _fit(word: str):
    """How well one typed word matches the name of the row: a whole word, the beginning of one, or initials."""
    words = SearchWord.objects.filter(name=OuterRef("pk"), initials=False)
    return Case(
        When(Exists(words.filter(word=word)), then=Value(WHOLE)),
        When(Exists(words.filter(_starting(word))), then=Value(START)),
        default=Value(INITIALS),
        output_field=IntegerField(),
    )


def find(text: str, limit: int = 50) -> list[tuple[int, str]]:
    """(unit id, the name that matched best) of each unit found, best first, at most `limit`. One query."""
    words = typed_words(text)
    if not words:
        return []
    names = SearchName.objects.all()
    # The longest word first: usually the rarest, and SQLite starts from the first of these lists.
    for word in sorted(words, key=len, reverse=True):
        names = names.filter(pk__in=SearchWord.objects.filter(_starting(word)).values("name_id"))
    ranked = (
        names.annotate(
            fit=reduce(operator.add, [_fit(word) for word in words]),
            today=Case(When(name=F("unit__name"), then=Value(1)), default=Value(0), output_field=IntegerField()),
        )
        .order_by("-fit", "-today", "unit__block__sort_order", "unit__name", "name")
        .values_list("unit_id", "name")
    )
    found: dict[int, str] = {}
    # A unit has few names; four rows per place leaves room for every one of them to match.
    for unit, name in ranked[: limit * 4]:
        found.setdefault(unit, name)
        if len(found) == limit:
            break
    return list(found.items())


def refresh(units=None, *, added=None) -> None:
    """Bring the index in line with the published names of `units` (a Unit queryset; None: every unit): add the
    names that are now public, remove those that no longer are. `added`: the change only published names (these
    (unit id, name) pairs, of `units`), so only they and the units' own names are added, and nothing is removed.
    Safe to run twice at once (what two runs both add is kept once)."""
    published = Result.objects.published()
    indexed = SearchName.objects.all()
    if units is not None:
        published = published.filter(unit__in=units)
        indexed = indexed.filter(unit__in=units)
    wanted = _wanted(published, units, added)
    existing = {(unit, name): pk for pk, unit, name in indexed.values_list("pk", "unit_id", "name")}
    gone = [] if added is not None else [pk for key, pk in existing.items() if key not in wanted]
    for start in range(0, len(gone), BATCH):
        SearchName.objects.filter(pk__in=gone[start : start + BATCH]).delete()
    new = wanted - existing.keys()
    if not new:
        return
    SearchName.objects.bulk_create(
        [SearchName(unit_id=unit, name=name) for unit, name in sorted(new)], batch_size=BATCH, ignore_conflicts=True
    )
    made = SearchName.objects.filter(unit_id__in={unit for unit, _ in new}).values_list("pk", "unit_id", "name")
    rows = []
    for pk, unit, name in made:
        if (unit, name) in new:
            words, runs = name_tokens(name)
            rows += [SearchWord(name_id=pk, word=word) for word in words]
            rows += [SearchWord(name_id=pk, word=run, initials=True) for run in runs]
    SearchWord.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)


def _wanted(published, units, added) -> set[tuple[int, str]]:
    """The (unit id, name) pairs the index should hold for `published`: only the `added` names and the units' own
    when the change only published names, else every published name and the names of the units that have one."""
    if added is not None and units is not None:
        return set(added) | set(units.order_by().values_list("pk", "name").distinct())
    # Unordered: the tables' and units' own orderings would make the database sort every row before DISTINCT.
    wanted = set(published.order_by().values_list("unit_id", "unit_name").distinct())
    return wanted | set(Unit.objects.filter(pk__in=published.values("unit_id")).order_by().values_list("pk", "name"))
