"""The criteria tree on plain values: order, leaves, areas, paths, kinds, counts, and the rules of a tree given
as rows. No database."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from scoring.tree import BONUS, DEDUCTION, SCORED, CriteriaTree, CriterionRow, tree_problems


@dataclass(frozen=True)
class N:
    pk: int
    parent_id: int | None
    code: str
    max_points: Decimal
    method: str = "self"
    position: int = 0
    title: str = ""


def tree_of(rows) -> CriteriaTree:
    """rows: (code, max, method) in order; parents from the codes; given shuffled to show order is rebuilt."""
    pks = {code: i for i, (code, _, _) in enumerate(rows, start=1)}
    nodes = [
        N(pks[code], pks.get(code.rpartition(".")[0]), code, Decimal(m), method, position, f"Tiêu chí {code}")
        for position, (code, m, method) in enumerate(rows)
    ]
    return CriteriaTree(reversed(nodes))


REAL_SHAPE = [
    ("1", "10", "self"),
    ("1.1", "4", "self"),
    ("1.1.1", "1.5", "self"),
    ("1.1.2", "2.5", "self"),
    ("1.2", "6", "self"),
    ("2", "60", "self"),
    ("3", "30", "survey"),
    ("3.1", "20", "survey"),
    ("3.2", "10", "survey"),
    ("6", "2", "self"),  # a bonus group whose own row says nothing of bonus
    ("6.1", "1.5", "bonus"),
    ("6.2", "0.5", "bonus"),
    ("7", "1", "deduction"),
]


def test_nodes_come_in_the_order_the_set_shows_them_whatever_the_input_order():
    tree = tree_of(REAL_SHAPE)
    assert [n.code for n in tree] == [code for code, _, _ in REAL_SHAPE]


def test_leaves_areas_depths_and_paths():
    tree = tree_of(REAL_SHAPE)
    assert [n.code for n in tree.leaves] == ["1.1.1", "1.1.2", "1.2", "2", "3.1", "3.2", "6.1", "6.2", "7"]
    assert [n.code for n in tree.areas] == ["1", "2", "3", "6", "7"]
    leaf = tree.find("1.1.2")
    assert tree.depth(leaf) == 2 and tree.area_of(leaf).code == "1"
    assert [n.code for n in tree.path(leaf)] == ["1", "1.1", "1.1.2"]
    assert [n.code for n in tree.descendants(tree.find("1"))] == ["1.1", "1.1.1", "1.1.2", "1.2"]
    assert [n.code for n in tree.leaves_under(tree.find("1"))] == ["1.1.1", "1.1.2", "1.2"]
    assert [n.code for n in tree.leaves_under(tree.find("2"))] == ["2"]  # an area scored directly is its own leaf


def test_a_group_counts_for_what_its_leaves_count_for():
    tree = tree_of(REAL_SHAPE)
    assert tree.kind(tree.find("6")) == BONUS
    assert tree.kind(tree.find("7")) == DEDUCTION
    assert tree.kind(tree.find("3")) == SCORED


def test_a_group_is_stored_with_the_method_its_leaves_share_else_self_assessed():
    spec = [*REAL_SHAPE[:5], ("2", "60", "bonus"), ("2.1", "50", "self"), ("2.2", "10", "survey"), *REAL_SHAPE[6:]]
    tree = tree_of(spec)
    methods = {code: tree.method(tree.find(code)) for code in ("1", "2", "3", "6", "7", "1.1.1", "3.1", "6.1")}
    assert methods == {
        "1": "self",
        "2": "self",  # its own row said bonus; its leaves are scored, self-assessed and survey
        "3": "survey",
        "6": "bonus",  # its own row said self
        "7": "deduction",
        "1.1.1": "self",
        "3.1": "survey",
        "6.1": "bonus",
    }


def test_counts_say_areas_criteria_leaves_bonus_and_deduction_alike_everywhere():
    counts = tree_of(REAL_SHAPE).counts()
    assert (counts.areas, counts.criteria, counts.leaves) == (3, 4, 9)
    assert (counts.bonus_leaves, counts.deduction_leaves, counts.survey_leaves) == (2, 1, 2)
    assert counts.scored_max == Decimal(100)
    assert counts.scored_leaves == 6
    assert counts.sentence() == (
        "3 lĩnh vực (100 điểm), 4 tiêu chí, 6 tiêu chí chấm điểm; ngoài 100 điểm: 2 tiêu chí điểm thưởng, "
        "1 tiêu chí điểm trừ"
    )


def test_a_set_without_bonus_or_deduction_says_nothing_of_them():
    counts = tree_of([("1", "40.5", "self"), ("1.1", "40.5", "self"), ("2", "59.5", "survey")]).counts()
    assert counts.sentence() == "2 lĩnh vực (100 điểm), 1 tiêu chí, 2 tiêu chí chấm điểm"


def rows(spec):
    return [
        CriterionRow(i, code, f"Tiêu chí {code}", Decimal(m), method) for i, (code, m, method) in enumerate(spec, 2)
    ]


def test_the_real_shape_keeps_every_rule():
    assert tree_problems(rows(REAL_SHAPE), Decimal(100)) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("6.2", "1", "bonus"),
            'nhóm điểm thưởng "6" có điểm tối đa 2, nhưng điểm tối đa của các tiêu chí điểm thưởng',
        ),
        (("1.2", "5", "self"), 'tiêu chí "1" có điểm tối đa 10, nhưng điểm tối đa của các tiêu chí con cộng lại là 9'),
        (("2", "59", "self"), "tổng điểm tối đa của các lĩnh vực là 99"),
    ],
)
def test_a_wrong_sum_is_named_once_with_the_kind_of_group(change, expected):
    spec = [change if code == change[0] else (code, m, method) for code, m, method in REAL_SHAPE]
    problems = tree_problems(rows(spec), Decimal(100))
    assert len(problems) == 1
    assert expected in problems[0].message


def test_a_child_away_from_its_parent_and_a_missing_parent_are_named():
    spec = [("1", "10", "self"), ("2", "90", "self"), ("1.1", "10", "self"), ("4.1", "1", "bonus")]
    messages = [p.message for p in tree_problems(rows(spec), Decimal(100))]
    assert any('mã "1.1" không nằm trong nhóm của tiêu chí cha "1"' in m for m in messages)
    assert any('mã "4.1" cần tiêu chí cha "4"' in m for m in messages)
