"""The criteria tree (bộ tiêu chí), pure: no database, no Django. Every walk of a tree goes through here.

Two faces of one tree:

- `CriteriaTree` holds the nodes of a stored set (anything with `pk`, `parent_id`, `code`, `title`,
  `max_points`, `method`, `position`: a `Criterion`, or a plain object in a test) and answers what every page
  asks: the nodes in the order the set shows them, which are leaves, each node's area, depth, path and
  descendants, and what each group of the set counts for (scored points, bonus, deduction).
- `tree_problems` checks a tree given as rows in order (a workbook, the admin's inline forms) against the rules a
  set must keep, and names every problem:

  - a code is text: `3`, `3.2`, `3.2.1`; each code appears once; a node's parent is the code before its last dot;
  - every node comes inside its parent's group (parent first, then its children and their descendants), so the
    order rows are given in is the order the portal shows;
  - a parent's maximum equals the sum of its children's maxima, counting only the children of its own kind:
    scored children (self-assessed and survey) add up to a scored parent, bonus children to a bonus group,
    deduction children to a deduction group;
  - the top-level scored nodes add up to the set's declared total (100 by default); bonus and deduction groups
    are outside the total;
  - a sum is not checked when one of its terms is already in error (its own message says why), so one mistake
    gives one message.

What a group is (scored, bonus or deduction) follows from its leaves, not from a word written on the group's own
row: a group whose leaves are all bonus leaves is a bonus group ("Điểm thưởng"), however its row was marked.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from cchc_portal.lib.numbers import decimals_of, vn_number
from cchc_portal.lib.problems import Problem
from scoring.ranking import METHOD_BONUS, METHOD_DEDUCTION, METHOD_SELF, METHOD_SURVEY, SCORED_METHODS

# What a node counts for: the 100 points of the index, a bonus, or a deduction.
SCORED = "scored"
BONUS = METHOD_BONUS
DEDUCTION = METHOD_DEDUCTION
KIND_LABELS = {SCORED: "lĩnh vực chấm điểm", BONUS: "điểm thưởng", DEDUCTION: "điểm trừ"}


def kind_of_method(method: str | None) -> str:
    return SCORED if method in SCORED_METHODS or method is None else method


# --- A stored tree ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeCounts:
    """How a set is made, said the same way on every page: scored areas, criteria, leaves, bonus and deduction."""

    areas: int  # top-level scored nodes (lĩnh vực)
    criteria: int  # nodes one level below an area (tiêu chí)
    leaves: int  # nodes that carry points (tiêu chí chấm điểm), of every kind
    bonus_leaves: int
    deduction_leaves: int
    survey_leaves: int
    scored_max: Decimal  # the scored areas' maxima added up: the set's total

    @property
    def scored_leaves(self) -> int:
        """The leaves that make up the index (self-assessed and survey), bonus and deduction aside."""
        return self.leaves - self.bonus_leaves - self.deduction_leaves

    def sentence(self) -> str:
        """ "3 lĩnh vực (100 điểm), 4 tiêu chí, 6 tiêu chí chấm điểm; ngoài 100 điểm: 2 tiêu chí điểm thưởng,
        1 tiêu chí điểm trừ".

        Bonus and deduction groups are not counted as areas, and their leaves not among the scored ones: they
        are named apart, so a reader comparing with a list of every top-level group (7 there, 5 areas here)
        sees where the difference lies."""
        total = shown(self.scored_max)
        text = f"{self.areas} lĩnh vực ({total} điểm), {self.criteria} tiêu chí"
        text += f", {self.scored_leaves} tiêu chí chấm điểm"
        extra = [
            f"{n} tiêu chí {label}"
            for n, label in ((self.bonus_leaves, KIND_LABELS[BONUS]), (self.deduction_leaves, KIND_LABELS[DEDUCTION]))
            if n
        ]
        return f"{text}; ngoài {total} điểm: {', '.join(extra)}" if extra else text


@dataclass(frozen=True)
class _RowNode:
    pk: str
    parent_id: str | None
    code: str
    title: str
    max_points: Decimal
    method: str
    position: int


class CriteriaTree:
    """The nodes of one criteria set, in the order the set shows them (children by position, depth first)."""

    def __init__(self, nodes: Iterable):
        nodes = list(nodes)
        self._by_pk = {n.pk: n for n in nodes}
        children: dict[object, list] = defaultdict(list)
        for node in nodes:
            parent = node.parent_id if node.parent_id in self._by_pk else None
            children[parent].append(node)
        for kids in children.values():
            kids.sort(key=lambda n: (n.position, str(n.code)))
        self._children = children
        self.nodes: list = []
        self._depth: dict[object, int] = {}
        self._area: dict[object, object] = {}
        stack = [(n, 0, n) for n in reversed(children.get(None, []))]
        while stack:
            node, depth, area = stack.pop()
            self.nodes.append(node)
            self._depth[node.pk] = depth
            self._area[node.pk] = area
            stack.extend((kid, depth + 1, area) for kid in reversed(children.get(node.pk, [])))
        self._index = {n.pk: i for i, n in enumerate(self.nodes)}
        self.leaves = [n for n in self.nodes if not children.get(n.pk)]
        self.areas = list(children.get(None, []))
        self._kind: dict[object, str] = {}
        self._method: dict[object, str] = {}
        for node in reversed(self.nodes):  # children before their parents
            kids = children.get(node.pk)
            if not kids:
                self._kind[node.pk] = kind_of_method(node.method)
                self._method[node.pk] = node.method or METHOD_SELF
            else:
                kinds = {self._kind[k.pk] for k in kids}
                self._kind[node.pk] = kinds.pop() if len(kinds) == 1 else SCORED
                methods = {self._method[k.pk] for k in kids}
                self._method[node.pk] = methods.pop() if len(methods) == 1 else METHOD_SELF

    @classmethod
    def from_rows(cls, rows) -> "CriteriaTree":
        """A tree of rows given in order (a workbook's), each row's parent named by its code."""
        return cls(
            _RowNode(
                pk=row.code,
                parent_id=parent(row.code),
                code=row.code,
                title=row.title,
                max_points=row.max_points,
                method=row.method,
                position=index,
            )
            for index, row in enumerate(rows)
        )

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self):
        return iter(self.nodes)

    def get(self, pk):
        return self._by_pk.get(pk)

    def find(self, code: str):
        """The node with this code, or None."""
        return next((n for n in self.nodes if n.code == code), None)

    def children(self, node) -> list:
        return list(self._children.get(node.pk, []))

    def is_leaf(self, node) -> bool:
        return not self._children.get(node.pk)

    def depth(self, node) -> int:
        """0 for an area (lĩnh vực), 1 for a criterion, 2 for a sub-criterion…"""
        return self._depth[node.pk]

    def area_of(self, node):
        return self._area[node.pk]

    def parent(self, node):
        return self._by_pk.get(node.parent_id)

    def path(self, node) -> list:
        """The node's ancestors from its area down, then the node itself."""
        path = [node]
        while (up := self.parent(path[0])) is not None:
            path.insert(0, up)
        return path

    def ancestors(self, node) -> list:
        return self.path(node)[:-1]

    def descendants(self, node) -> list:
        """Every node under `node`, in tree order."""
        start = self._index[node.pk]
        depth = self._depth[node.pk]
        found = []
        for other in self.nodes[start + 1 :]:
            if self._depth[other.pk] <= depth:
                break
            found.append(other)
        return found

    def leaves_under(self, node) -> list:
        """The leaves a node's points are the sum of (the node itself when it is a leaf)."""
        if self.is_leaf(node):
            return [node]
        return [n for n in self.descendants(node) if self.is_leaf(n)]

    def kind(self, node) -> str:
        """What the node counts for: SCORED, BONUS or DEDUCTION (a group: what its leaves count for)."""
        return self._kind[node.pk]

    def method(self, node) -> str:
        """The method a node is stored with: a leaf's own; a group's, the one its leaves share (a bonus group's
        is bonus, a deduction group's deduction, a survey area's survey), and self-assessed when they differ.
        A group's own row is not asked: what it is follows from its leaves."""
        return self._method[node.pk]

    def counts(self) -> TreeCounts:
        scored_areas = [a for a in self.areas if self.kind(a) == SCORED]
        return TreeCounts(
            areas=len(scored_areas),
            criteria=sum(1 for n in self.nodes if self._depth[n.pk] == 1 and self.kind(self.area_of(n)) == SCORED),
            leaves=len(self.leaves),
            bonus_leaves=sum(1 for n in self.leaves if self.kind(n) == BONUS),
            deduction_leaves=sum(1 for n in self.leaves if self.kind(n) == DEDUCTION),
            survey_leaves=sum(1 for n in self.leaves if n.method == METHOD_SURVEY),
            scored_max=sum((a.max_points for a in scored_areas), Decimal(0)),
        )


# --- A tree given as rows ---------------------------------------------------------------------------------

E_CODE_DUPLICATE = 'mã "{value}" trùng với mã ở dòng {first}.'
E_PARENT_MISSING = 'mã "{value}" cần tiêu chí cha "{parent}", nhưng tệp không có mã "{parent}".'
E_PARENT_ORDER = (
    'mã "{value}" không nằm trong nhóm của tiêu chí cha "{parent}" (dòng {parent_row}); '
    "hãy đặt mỗi tiêu chí con ngay dưới tiêu chí cha của nó."
)
E_SUM = 'tiêu chí "{code}" có điểm tối đa {maximum}, nhưng điểm tối đa của các tiêu chí con cộng lại là {children}.'
E_SUM_OF_KIND = (
    'nhóm {kind} "{code}" có điểm tối đa {maximum}, nhưng điểm tối đa của các tiêu chí {kind} trong nhóm cộng lại '
    "là {children}."
)
E_TOTAL = (
    "tổng điểm tối đa của các lĩnh vực là {found}, khác tổng điểm khai báo {total} (không tính điểm thưởng, điểm trừ)."
)
METHODS = (METHOD_SELF, METHOD_SURVEY, METHOD_BONUS, METHOD_DEDUCTION)


@dataclass(frozen=True)
class CriterionRow:
    """One node of a tree as given, in order: its row (in a file, or a form's number) and its fields."""

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


def row_kinds(nodes) -> dict[str, str]:
    """What each code of rows in order counts for: a leaf by its method, a group by its leaves (as
    `CriteriaTree.kind`)."""
    codes = [n.code for n in nodes if n.code is not None]
    parents = {parent(c) for c in codes}
    kinds: dict[str, str] = {}
    below: dict[str, set[str]] = defaultdict(set)
    for node in sorted((n for n in nodes if n.code is not None), key=lambda n: -n.code.count(".")):
        if node.code in kinds:
            continue
        kind = (
            kind_of_method(node.method)
            if node.code not in parents
            else (below[node.code].pop() if len(below[node.code]) == 1 else SCORED)
        )
        kinds[node.code] = kind
        if (up := parent(node.code)) is not None:
            below[up].add(kind)
    return kinds


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
    kinds = row_kinds([n for n in placed if n.method is not None])
    children = defaultdict(list)
    for node in placed:
        children[parent(node.code)].append(node)
    for node in placed:
        kids = children.get(node.code)
        if not kids or node.code in unsure or not all(_known(n) for n in (node, *kids)):
            continue
        kind = kinds[node.code]
        found = sum((k.max_points for k in kids if kinds[k.code] == kind), Decimal(0))
        if found != node.max_points:
            values = {"code": node.code, "maximum": shown(node.max_points), "children": shown(found)}
            text = E_SUM.format(**values) if kind == SCORED else E_SUM_OF_KIND.format(kind=KIND_LABELS[kind], **values)
            problems.append(Problem(text, **locate(node.row, "max_points")))
    top = children.get(None, [])
    if top and None not in unsure and all(_known(n) for n in top):
        found = sum((n.max_points for n in top if kinds[n.code] == SCORED), Decimal(0))
        if found != total:
            place = {**locate(0, "max_points"), "row": None}
            problems.append(Problem(E_TOTAL.format(found=shown(found), total=shown(total)), **place))
    return problems


def in_order(problems: list[Problem]) -> list[Problem]:
    """Problems by row, top to bottom; those of the set as a whole (no row) last."""
    return sorted(problems, key=lambda p: p.row if p.row is not None else 10**9)


def _known(node) -> bool:
    return node.max_points is not None and node.method is not None
