"""A ranking table's body as one string: 3,321 rows through the template language took 100 ms; the same rows
formatted here, every text escaped, take a few. The markup is the one `_ranking_table.html` used to loop over.

The body is printed straight from the published lines and their changes against the previous year, formatted
here once each: no row object in between (a national table has 3,321 rows).

Escaping is the standard library's `html.escape`, which django.utils.html.escape wraps (same output, without the
lazy-string wrapper's cost on 20,000 calls); a grade, its code and the change texts repeat from row to row, so each
distinct one is escaped once.
"""

from html import escape

from django.utils.safestring import SafeString, mark_safe

from cchc_portal.lib.numbers import vn_number
from reports.pages.ranking import PublishedTable, measure_text, unit_url_prefix


def table_body(table: PublishedTable, changes: dict | None = None) -> SafeString:
    """The rows of `table`; with `changes` (unit id → succession.Change, a previous year to compare with) the two
    columns of the change as well."""
    escaped: dict[str, str] = {}

    def once(text: str) -> str:
        value = escaped.get(text)
        if value is None:
            value = escaped[text] = escape(text)
        return value

    scores: dict = {}  # a total → as printed: equal totals (ties) are formatted once
    prefix, decimals, columns = unit_url_prefix(), table.decimals, table.measure_columns
    with_grades = table.shows_grades
    parts = []
    for r in table.rows:
        name, rank = escape(r.unit_name), r.rank
        note = cells = ""
        if changes is not None:
            change = changes.get(r.unit_id)
            if change:
                if change.note:
                    note = f'<br><span class="small muted">{escape(change.note)}</span>'
                value = change.rank_change if change.rank_change is not None else ""
                detail = (
                    f'<br><span class="small muted">{change.previous_rank} → {rank}</span>'
                    if change.previous_rank
                    else ""
                )
                direction, arrow, spoken = change.direction, once(change.arrow), once(change.spoken)
                score_change = change.score_text(decimals)
            else:
                value, detail, direction, arrow, spoken, score_change = "", "", "none", "—", "", ""
            cells = (
                f'<td class="num change change--{direction}" data-value="{value}"><span aria-hidden="true">{arrow}'
                f'</span><span class="sr-only">{spoken}</span>{detail}</td>'
                f'<td class="num" data-value="{score_change}">{score_change or "—"}</td>'
            )
        measures = ""
        for column in columns:
            text = measure_text(getattr(r, column.field), column, decimals)
            measures += f'<td class="num" data-value="{text}">{text}</td>'
        score = scores.get(r.total)
        if score is None:
            score = scores[r.total] = vn_number(r.total, decimals)
        grade = (
            f'<td data-value="{rank}"><span class="grade grade--{once(r.grade_code)}">{once(r.grade)}</span></td>'
            if with_grades
            else ""
        )
        parts.append(
            f'<tr><td class="num" data-value="{r.position}">{r.position}</td>'
            f'<td data-value="{name}"><a href="{escape(f"{prefix}{r.code}/")}">{name}</a>{note}</td>{measures}'
            f'<td class="num" data-value="{score}">{score}</td>{grade}'
            f'<td class="num" data-value="{rank}">{rank}</td>{cells}</tr>'
        )
    return mark_safe("\n".join(parts))  # noqa: S308 - every text above is escaped
