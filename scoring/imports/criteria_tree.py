"""The rules a criteria tree (bộ tiêu chí) must keep, on plain rows: no database, no file.

- A code is text: `3`, `3.2`, `3.2.1`; each code appears once.
- Every node comes inside its parent's group (parent first, then its children and their descendants), so
  the order rows are given in is the order the portal shows.
- A parent's maximum equals the sum of its children's maxima, counting only the children scored the same
  way: self-assessed and survey children add up to a self-assessed or survey parent; bonus children to a
  bonus parent; deduction children to a deduction parent.
- The top-level self-assessed and survey nodes add up to the set's declared total (100 by default);
  bonus and deduction nodes are outside the total.
- A sum is not checked when one of its terms is already in error (its own message says why), so one
  mistake gives one message.

Used by the workbook import (`scoring.imports.criteria`) and by anything else that builds a tree.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from cchc_portal.lib.numbers import decimals_of, vn_number
from cchc_portal.lib.problems import Problem
from scoring.ranking import METHOD_BONUS, METHOD_DEDUCTION, SCORED_METHODS

E_CODE_DUPLICATE = 'mã "{value}" trùng với mã ở dòng {first}.'
E_PARENT_MISSING = 'mã "{value}" cần tiêu chí cha "{parent}", nhưng tệp không có mã "{parent}".'
E_PARENT_ORDER = (
    'mã "{value}" không nằm trong nhóm của tiêu chí cha "{parent}" (dòng {parent_row}); '
    "hãy đặt mỗi tiêu chí con ngay dưới tiêu chí cha của nó."
)
E_SUM = 'tiêu chí "{code}" có điểm tối đa {maximum}, nhưng điểm tối đa của các tiêu chí con cộng lại là {children}.'
E_TOTAL = (
    "tổng điểm tối đa của các lĩnh vực là {found}, khác tổng điểm khai báo {total} (không tính điểm thưởng, điểm trừ)."
)
METHODS = (*sorted(SCORED_METHODS), METHOD_BONUS, METHOD_DEDUCTION)


@dataclass(frozen=True)
class CriterionRow:
    """One node of a tree as given, in order: its row (in a file) and its fields."""

    row: int
    code: str
    title: str
    max_points: Decimal
    method: str

    @property
    def parent_code(self) -> str | None:
        return parent(self.code)

    @property
    def depth(self) -> int:
        return self.code.count(".") + 1


# Where a problem points: (row, field) -> the Problem's place fields (sheet, row, column, label).
Locate = Callable[[int, str], dict]


def plain_place(row: int, field: str) -> dict:
    return {"row": row or None, "label": field}


def parent(code: str) -> str | None:
    return code.rpartition(".")[0] or None


def shown(number: Decimal) -> str:
    return vn_number(number, decimals_of(number))


def tree_problems(nodes, total: Decimal, locate: Locate = plain_place) -> list[Problem]:
    """Duplicate codes, missing or misplaced parents, sums of children, the set's total. `nodes` need `row`,
    `code`, `max_points`, `method`; a None `code`, `max_points` or `method` is a field already in error."""
    problems: list[Problem] = []
    first: dict[str, object] = {}
    unsure: set[str | None] = set()  # parents (None: the set itself) whose sum has a term in error
    for node in nodes:
        if node.code is None:
            continue
        if node.code in first:
            text = E_CODE_DUPLICATE.format(value=node.code, first=first[node.code].row)
            problems.append(Problem(text, **locate(node.row, "code")))
            unsure.add(parent(node.code))
        else:
            first[node.code] = node
    placed, stack, broken = [], [], set()
    for node in first.values():
        up = parent(node.code)
        if up is not None and up not in stack:
            if up not in broken:
                template = E_PARENT_ORDER if up in first else E_PARENT_MISSING
                parent_row = first[up].row if up in first else None
                text = template.format(value=node.code, parent=up, parent_row=parent_row)
                problems.append(Problem(text, **locate(node.row, "code")))
                unsure.add(up)
            broken.add(node.code)
            continue
        del stack[stack.index(up) + 1 if up is not None else 0 :]
        stack.append(node.code)
        placed.append(node)
    children = defaultdict(list)
    for node in placed:
        children[parent(node.code)].append(node)
    for node in placed:
        kids = children.get(node.code)
        if not kids or node.code in unsure or not all(_known(n) for n in (node, *kids)):
            continue
        found = sum((k.max_points for k in kids if _group(k.method) == _group(node.method)), Decimal(0))
        if found != node.max_points:
            text = E_SUM.format(code=node.code, maximum=shown(node.max_points), children=shown(found))
            problems.append(Problem(text, **locate(node.row, "max_points")))
    top = children.get(None, [])
    if top and None not in unsure and all(_known(n) for n in top):
        found = sum((n.max_points for n in top if n.method in SCORED_METHODS), Decimal(0))
        if found != total:
            place = {**locate(0, "max_points"), "row": None}
            problems.append(Problem(E_TOTAL.format(found=shown(found), total=shown(total)), **place))
    return problems


def in_order(problems: list[Problem]) -> list[Problem]:
    """Problems by row, top to bottom; those of the set as a whole (no row) last."""
    return sorted(problems, key=lambda p: p.row if p.row is not None else 10**9)


def _group(method: str) -> str:
    return "scored" if method in SCORED_METHODS else method


def _known(node) -> bool:
    return node.max_points is not None and node.method is not None
