"""The leaf rows and the history rows of the entry sheet, drawn in Python.

A sheet of 120 criteria drew 120 copies of a 40-line template block, each resolving some 60 variables and
filters through the template engine: most of the page's time once the inputs were drawn directly. This is the
same HTML, character for character (tests/scoring/test_entry_drawing.py holds it to that block), written once.
"""

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime

from cchc_portal.lib.numbers import show, vn_number
from scoring.staff.forms import escaped as e


def _pts(value) -> str:
    return show(value) if value is not None else ""


def _raw(value) -> str:
    from decimal import Decimal

    return format(value, "f") if isinstance(value, Decimal) else ""


def sheet_rows(sheet, attention, attention_groups) -> str:
    """Every row of the sheet's table, in the order of the criteria: an area's heading with its subtotals, a
    group's heading, or a leaf's row (`leaf_row`)."""
    out = []
    for row in sheet.rows:
        node = row.node
        if row.is_leaf:
            out.append(f"\n      \n      {leaf_row(row, sheet, attention)}\n      \n    ")
            continue
        marked = " has-attention" if node.pk in attention_groups else ""
        if row.is_area:
            area, totals = e(row.area_code), row.totals
            own = (
                f'<span class="subtotal-self" data-area="{area}">{_vn3(totals.self_points)}</span>'
                if totals is not None and totals.self_assessed
                else '<span class="muted">—</span>'
            )
            appraised = _vn3(0 if totals.appraised is None else totals.appraised) if totals is not None else ""
            out.append(
                f'\n      \n      <tr class="area{marked}" data-area="{area}">\n'
                f'        <th scope="rowgroup" colspan="2">{e(node.code)}. {e(node.title)}</th>\n'
                f'        <td class="num" data-label="Tối đa">{e(_pts(node.max_points))}</td>\n'
                f'        <td class="num" data-label="Tự đánh giá">{own}</td>\n'
                '        <td class="empty"></td>\n'
                f'        <td class="num" data-label="Thẩm định"><span class="subtotal-appr" data-area="{area}">'
                f"{appraised}</span></td>\n"
                '        <td class="empty"></td>\n'
                "      </tr>\n      \n    "
            )
        else:
            out.append(
                f'\n      \n      <tr class="group{marked}"><td>{e(node.code)}</td><td colspan="6">{e(node.title)} '
                f"(tối đa {e(_pts(node.max_points))})</td></tr>\n      \n    "
            )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped or drawn by leaf_row


def _vn3(value) -> str:
    """The template's `vn:3`: a subtotal with three decimals, nothing for none."""
    return "" if value is None or value == "" else e(vn_number(value, 3))


def leaf_row(row, sheet, attention) -> str:
    """One leaf's <tr> as the entry page shows it (`row` a `scoring.queries.SheetRow` with its form, if any)."""
    form, node, score, pk = row.form, row.node, row.score, row.node.pk
    fields = form.fields if form is not None else {}

    def bound(name):
        return form[name] if name in fields else None

    problems = form.problems if form is not None else None

    def problem(name) -> str:
        return e(problems.get(name, "")) if problems else ""

    classes = "leaf" + (" area" if row.is_area else "") + (" not-applicable" if row.not_applicable else "")
    classes += (" attention" if pk in attention else "") + (" cut" if row.cut and sheet.can_explain else "")
    area = f' data-area="{e(row.area_code)}"' if row.is_area else ""
    # What the page's script reads before it asks to confirm a submission the server would refuse.
    area += f' data-method="{e(node.method)}"' + (' data-backed="1"' if row.evidence else "")
    area += ' data-explained="1"' if score is not None and score.explanation.strip() else ""
    tag = ""
    if row.is_survey:
        tag = ' <span class="tag">điều tra XHH</span>'
    elif row.is_bonus:
        tag = ' <span class="tag">điểm thưởng</span>'
    elif row.is_deduction:
        tag = ' <span class="tag">điểm trừ</span>'
    flag = ""
    if (bf := bound("not_applicable")) is not None:
        flag = f'<br><label class="small">{bf} Không áp dụng</label>'
        if p := problem("not_applicable"):
            flag += f'<span class="field-error">{p}</span>'
    elif row.not_applicable:
        flag = '<br><span class="tag">không áp dụng</span>'
    wanted = f'<br><span class="tag tag--attention">{e(row.attention)}</span>' if row.attention else ""
    out = [
        "\n",
        f'      <tr class="{classes}" id="tc-{pk}"{area}>\n',
        f'        <td class="code">{e(node.code)}</td>\n',
        f'        <td class="title">{e(node.title)}{tag}\n',
        f"          {wanted}\n",
        f"          {flag}\n",
        "        </td>\n",
        f'        <td class="num" data-label="Tối đa">{e(_pts(node.max_points))}</td>\n',
        f'        <td class="num" data-label="{"Đề nghị" if row.is_bonus else "Tự đánh giá"}">\n',
    ]
    own = score.self_points if score else None
    if (bf := bound("self_points")) is not None:
        shown = f"{bf}\n          "
    elif row.unit_scored:
        shown = (
            f'<span class="points-static" data-kind="{e(row.self_kind)}" data-area="{e(row.area_code)}" '
            f'data-value="{e(_raw(own))}">{e(_pts(own) or "—")}</span>\n          '
        )
    else:
        shown = '<span class="muted">—</span>'
    out += [
        f"          {shown}\n",
        f'          <span class="field-error" id="err-{pk}-self_points">{problem("self_points")}</span>\n',
        "        </td>\n",
        '        <td data-label="Minh chứng, giải trình">\n',
        "          " + "".join(_evidence(item) for item in row.evidence) + "\n",
        "          ",
    ]
    if row.unit_scored:
        out.append("\n            ")
        if sheet.can_edit_self or sheet.can_explain:
            out.append(
                f'<button type="submit" name="action" value="evidence:{pk}" class="link-button small" formnovalidate '
                'title="Lưu những gì đã nhập trên trang, rồi mở trang minh chứng của tiêu chí này">+ Thêm minh chứng'
                "</button>\n            "
            )
        elif row.evidence:
            url = reverse("scoring:evidence", args=[sheet.period.pk, sheet.unit.code, pk])
            out.append(f'<a class="small" href="{e(url)}">Chi tiết minh chứng</a>')
        out.append("\n          ")
    out.append("\n          ")
    if (bf := bound("explanation")) is not None:
        out.append(f'{bf}<span class="field-error" id="err-{pk}-explanation">{problem("explanation")}</span>')
    elif score is not None and score.explanation:
        out.append(f'<p class="small lines">Giải trình: {e(score.explanation)}</p>')
    out.append("\n          ")
    answer = bound("response")
    if row.has_rounds:
        label = f"Các vòng thẩm định tiêu chí {e(node.code)}"
        out.append(f'\n          <div class="rounds" aria-label="{label}">\n            ')
        if score.round1_points is not None or score.round1_comment:
            comment = f" — {e(score.round1_comment)}" if score.round1_comment else ""
            first = e(_pts(score.round1_points) or "—")
            out.append(f'<p class="small lines"><span class="round">Vòng 1</span> {first}{comment}</p>')
        out.append("\n            ")
        if score.response and answer is None:
            out.append(f'<p class="small lines"><span class="round">Giải trình</span> {e(score.response)}</p>')
        out.append("\n          </div>\n          ")
    out.append("\n          ")
    if answer is not None:
        out.append(
            f'<label class="small" for="{e(answer.id_for_label)}">Giải trình sau vòng 1</label>{answer}'
            f'<span class="field-error" id="err-{pk}-response">{problem("response")}</span>'
        )
    appraised_input = bound("appraised_points")
    empty = (
        " empty" if sheet.period.status == "open" and row.points.appraised is None and appraised_input is None else ""
    )
    out += ["\n        </td>\n", f'        <td class="num{empty}" data-label="{e(row.appraised_label)}">\n']
    if appraised_input is not None:
        shown = f"{appraised_input}\n          "
    else:
        appraised = row.points.appraised
        shown = (
            f'<span class="points-static" data-kind="{e(row.appraised_kind)}" data-area="{e(row.area_code)}" '
            f'data-value="{e(_raw(appraised))}">{e(_pts(appraised) or "—")}</span>'
        )
    out.append(f"          {shown}\n          ")
    if row.correction:
        c = row.correction
        out.append(
            f'<br><span class="tag">đính chính lần {e(c.version.correction_number)}'
            f"{'' if c.version.sealed else ' (chưa công bố)'}: {e(_pts(c.old_points) or '—')} → "
            f"{e(_pts(c.appraised_points) or '—')}{', không áp dụng' if c.not_applicable else ''}</span>"
        )
    out.append(
        f'\n          <span class="field-error" id="err-{pk}-appraised_points">{problem("appraised_points")}</span>\n'
        "        </td>\n        \n"
    )
    comment_input = bound("appraiser_comment")
    stored_comment = score.appraiser_comment if score is not None else ""
    label = "Lý do trừ điểm" if row.is_deduction else "Ý kiến thẩm định"
    empty = ' class="empty"' if comment_input is None and not stored_comment else ""
    out.append(f'        <td data-label="{label}"{empty}>\n          ')
    if comment_input is not None:
        problem_text = problem("appraiser_comment")
        out.append(f'{comment_input}<span class="field-error" id="err-{pk}-appraiser_comment">{problem_text}</span>\n')
        out.append("          ")
    else:
        out.append(f'<span class="lines">{e(stored_comment)}</span>' if stored_comment else "")
    out.append("\n        </td>\n        \n      </tr>\n      ")
    return SafeString("".join(out))  # escaped or a form's HTML; SafeString: mark_safe's lazy check, 120 times


def _evidence(item) -> str:
    href = reverse("scoring:evidence_download", args=[item.pk]) if item.file else item.link
    return f'<a href="{e(href)}" rel="noopener">{e(str(item))}</a><br>'


def history_rows(entries) -> str:
    """The rows of the sheet's history (up to 200 audit entries, newest first), as the page's table shows them."""
    out = []
    for entry in entries:
        at = date_format(template_localtime(entry.at), "d/m/Y H:i") if entry.at else ""
        who = (entry.by.get_username() if entry.by else "") or "hệ thống"
        code = entry.criterion.code if entry.criterion else ""
        out.append(
            f"\n      <tr><td>{e(at)}</td><td>{e(who)}</td><td>{e(code)}</td><td>{e(entry.get_action_display())}</td>"
            f"<td>{e(entry.old or '—')} → {e(entry.new or '—')}</td><td>{e(entry.reason)}</td></tr>\n    "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
