"""Following units across mergers and renames, to say how a unit did "compared with last year".

Units do not stand still: on 1/7/2025 the district level was abolished and departments were merged
(Nông nghiệp và PTNT with Tài nguyên và Môi trường; Kế hoạch và Đầu tư into Tài chính). A unit's line in a
year is compared with, in order:

1. its own line in the previous published year of the block (under whatever name it was published —
   a rename is the same unit, and the note names the old name);
2. otherwise the lines of its nearest predecessors in that year (`Unit.predecessors`, followed back through
   chains of mergers): the best-ranked of them is the one compared with, and the note names every one;
3. otherwise nothing: the unit is new ("mới") — or, when the previous table was published only in part,
   simply not among the units that were published.

The links are read once for the whole block (one query), so a page of 3,321 rows costs the same as one of 21.
"""

from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Q

from cchc_portal.lib.numbers import round_score, vn_number
from units.models import Unit

# How far back a chain of mergers is followed (A → B → C): far beyond any real lineage.
MAX_GENERATIONS = 10

SAME, RENAMED, SUCCESSOR, NEW, UNLISTED = "same", "renamed", "successor", "new", "unlisted"


def predecessors_of(block_ids) -> dict[int, list[int]]:
    """Each unit's direct predecessors, for every succession link touching the blocks (one query)."""
    links = Unit.successors.through.objects.filter(
        Q(to_unit__block_id__in=block_ids) | Q(from_unit__block_id__in=block_ids)
    ).values_list("from_unit_id", "to_unit_id")
    found: dict[int, list[int]] = defaultdict(list)
    for from_id, to_id in links:
        found[to_id].append(from_id)
    return found


def nearest_lines(unit_id: int, lines: dict, predecessors: dict[int, list[int]]) -> list:
    """The lines (by unit id in `lines`) of the nearest generation of the unit's predecessors that has any; never
    the unit's own line, even where the links loop back to it."""
    seen = {unit_id}
    generation = [p for p in predecessors.get(unit_id, []) if p not in seen]
    for _ in range(MAX_GENERATIONS):
        if not generation:
            return []
        found = [lines[p] for p in generation if p in lines]
        if found:
            return found
        seen.update(generation)
        generation = [p for unit in generation for p in predecessors.get(unit, []) if p not in seen]
    return []


class Change(NamedTuple):
    """How a unit's line compares with the previous published year of its block. A tuple rather than a frozen
    dataclass, immutable all the same: a national table makes 3,321 of them per page, and a frozen dataclass sets
    each field the slow way."""

    kind: str
    previous_year: int | None = None
    previous_rank: int | None = None
    previous_score: Decimal | None = None
    rank_change: int | None = None  # previous rank − rank: positive when the unit went up
    score_change: Decimal | None = None
    compared_with: str = ""  # the name the compared line was published under, when it is not this unit's
    also: tuple[str, ...] = ()  # other predecessors of a merger, as published

    @property
    def arrow(self) -> str:
        """▲ 3, ▼ 2, = or "mới": what the table prints."""
        if self.kind == NEW:
            return "mới"
        if self.rank_change is None:
            return "—"
        if self.rank_change > 0:
            return f"▲ {self.rank_change}"
        if self.rank_change < 0:
            return f"▼ {-self.rank_change}"
        return "="

    @property
    def direction(self) -> str:
        """up, down, same or none: for the colour, which the arrow and words also carry."""
        if self.rank_change is None:
            return "none"
        return "up" if self.rank_change > 0 else "down" if self.rank_change < 0 else "same"

    @property
    def spoken(self) -> str:
        """The change in words, for screen readers and the CSV: "tăng 3 bậc", "giảm 2 bậc"."""
        if self.kind == NEW:
            return "đơn vị mới"
        if self.rank_change is None:
            return "không so sánh được"
        if self.rank_change == 0:
            return "giữ nguyên vị thứ"
        return f"{'tăng' if self.rank_change > 0 else 'giảm'} {abs(self.rank_change)} bậc"

    def score_text(self, decimals: int) -> str:
        if self.score_change is None:
            return ""
        sign = "+" if self.score_change > 0 else "−" if self.score_change < 0 else "±"
        return sign + vn_number(abs(self.score_change), decimals)

    @property
    def note(self) -> str:
        if self.kind in (SAME, RENAMED) and self.also:
            old = f"so với {self.compared_with} năm {self.previous_year} (tên cũ); " if self.kind == RENAMED else ""
            return f"{old}đã tiếp nhận cả {', '.join(self.also)} (năm {self.previous_year} xếp riêng)"
        if self.kind == RENAMED:
            return f"so với {self.compared_with} năm {self.previous_year} (tên cũ)"
        if self.kind == SUCCESSOR:
            others = f"; tiếp nhận cả {', '.join(self.also)}" if self.also else ""
            return f"so với {self.compared_with} năm {self.previous_year} (đơn vị tiền thân{others})"
        if self.kind == NEW:
            return f"không có đơn vị tiền thân trong bảng năm {self.previous_year}"
        return ""  # same unit, or not among the units a partial table published (the page says so once)


def compare(current, previous: dict, predecessors, *, year: int, decimals: tuple[int, int], partial: bool) -> Change:
    """Compare one unit's line (`current`: unit_id, unit_name, total, rank) with the lines of the previous
    published `year` (`previous`: unit id → line; `partial` when that table was published in part). Scores are
    compared as published: `decimals` are this year's and that year's."""
    current_decimals, previous_decimals = decimals
    own = previous.get(current.unit_id)
    kind, also = SAME, ()
    # Most units took no other over: no lineage to walk (a table of 3,321 communes compares each of them).
    if own is not None and current.unit_id in predecessors:  # compared with itself, and says whom it took over
        taken = nearest_lines(current.unit_id, previous, predecessors)  # never the unit's own line
        also = tuple(line.unit_name for line in sorted(taken, key=lambda line: (line.rank, line.position)))
    if own is None:
        found = nearest_lines(current.unit_id, previous, predecessors)
        if not found:
            return Change(UNLISTED if partial else NEW, previous_year=year)
        found.sort(key=lambda line: (line.rank, line.position))
        own, also = found[0], tuple(line.unit_name for line in found[1:])
        kind = SUCCESSOR
    elif own.unit_name != current.unit_name:
        kind = RENAMED
    score = round_score(current.total, current_decimals)
    before = round_score(own.total, previous_decimals)
    return Change(
        kind,
        previous_year=year,
        previous_rank=own.rank,
        previous_score=before,
        rank_change=own.rank - current.rank,
        score_change=score - before,
        compared_with=own.unit_name if kind != SAME else "",
        also=also,
    )
