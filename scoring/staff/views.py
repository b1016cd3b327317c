"""Staff pages: the work list, a period's dashboard and moves, a unit's entry sheet, evidence, audit.

Each view parses its input, asks scoring/permissions.py, calls one query or service, and renders.
Services check permissions again, so a forged POST is refused the same way as a hidden button.
"""

from dataclasses import dataclass, field

import django_tables2 as tables
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import EmptyPage
from django.db import transaction
from django.http import FileResponse, Http404, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cchc_portal import idle_sessions
from cchc_portal.downloads import xlsx_response
from cchc_portal.lib.filetypes import KINDS
from cchc_portal.lib.memory import no_cyclic_collection
from cchc_portal.middleware import accepts_uploads
from cchc_portal.prepared import Prepared
from scoring import entry_fields, notices, permissions, services, workflow
from scoring.accounts.selectors import role_problem, units_without_account
from scoring.exports.audit import audit_workbook
from scoring.models import AppraiserAssignment, AuditEntry, Criterion, Evidence, Period, Submission
from scoring.progress import period_progress
from scoring.queries import days_left, entry_sheet
from scoring.scores import evidence_add, evidence_remove, scores_save
from scoring.staff.forms import (
    AssignForm,
    ConfirmForm,
    EvidenceForm,
    OpenForm,
    PublishForm,
    ReasonForm,
    UnitFilterForm,
    leaf_forms,
    shown_again,
    shown_leaves,
    stale_fields,
)
from scoring.staff.imports import IMPORTED_SESSION_KEY
from scoring.staff.tables import ProgressData, ProgressTable
from scoring.workflow import readiness
from units.models import Unit

E_EVIDENCE_MISSING = (
    "Tệp minh chứng “{name}” không còn trên máy chủ (hồ sơ vẫn ghi nhận tệp này). Hãy báo quản trị Sở Nội vụ "
    "khôi phục tệp từ bản sao lưu."
)


# Read by every staff page (`cchc_portal.prepared`): the period with what its pages show of it, a unit by code.
_PERIOD = Prepared(
    lambda pk: Period.objects.select_related("block", "criteria_set", "grade_scheme").filter(pk=pk).order_by(), (int,)
)
_UNIT = Prepared(lambda code, block: Unit.objects.filter(code=code, block_id=block).order_by(), (str, int))


def _period(pk: int) -> Period:
    found = _PERIOD.objects(pk)
    if not found:
        raise Http404("Không có kỳ đánh giá này.")
    return found[0]


def _period_and_unit(request, pk: int, code: str) -> tuple[Period, Unit]:
    period = _period(pk)
    found = _UNIT.objects(code, period.block_id)
    if not found:
        raise Http404("Không có đơn vị này trong khối của kỳ đánh giá.")
    unit = found[0]
    permissions.require(permissions.can_view_entry(request.user, period, unit))
    return period, unit


@require_safe
@login_required
def work_list(request):
    periods = list(Period.objects.for_staff(request.user))
    units = list(Unit.objects.filter(pk__in=permissions.member_unit_ids(request.user)).select_related("block"))
    statuses = {
        (s.period_id, s.unit_id): s.get_status_display()
        for s in Submission.objects.filter(period__in=periods, unit__in=units).only("period_id", "unit_id", "status")
    }
    rows = [
        (
            period,
            [
                (unit, statuses.get((period.pk, unit.pk), Submission.Status.NOT_STARTED.label))
                for unit in units
                if unit.block_id == period.block_id
            ],
        )
        for period in periods
    ]
    context = {
        "rows": rows,
        "is_admin": permissions.is_administrator(request.user),
        "is_unit_staff": bool(units),
        "todo": notices.due(user=request.user),
        "role_problem": role_problem(request.user),
    }
    return render(request, "scoring/work_list.html", context)


@require_safe
@login_required
def session_alive(request):
    """Called by the entry sheet while the user types, and before a save: keeps the session (idle timeout)
    alive as long as the person is working, and hands the page the current form token — which changes when
    they signed in again in another tab — and the seconds the session now has, which the page counts down from
    (the whole limit when this call writes the session, less when a request a moment before did). A signed-out
    caller is redirected to the login page, which the script takes as "the session has expired"."""
    response = JsonResponse({"csrf": get_token(request), "seconds": idle_sessions.seconds_left(request.session)})
    add_never_cache_headers(response)
    return response


@require_safe
@login_required
def dashboard(request, pk: int):
    period = _period(pk)
    permissions.require(permissions.can_view_dashboard(request.user, period))
    return _dashboard(request, period)


def _dashboard(request, period):
    progress = period_progress(period)
    assignments = list(period.assignments.select_related("appraiser", "unit").order_by("appraiser__username"))
    table, unit_filter = _unit_table(request, period, progress, assignments)
    can_manage = permissions.can_manage_period(request.user)
    typed = request.session.pop(MOVE_SESSION_KEY, None) or {}
    moves = [
        (m, readiness(progress, m), _move_forms(m, typed.get("data") if typed.get("move") == m.name else None))
        for m in workflow.moves_from(period.status)
        if workflow.offered(m, period)
    ]
    context = {
        "period": period,
        "progress": progress,
        "table": table,
        "days_left": days_left(period) if period.status == Period.Status.OPEN else None,
        "can_manage": can_manage,
        "read_only": period.is_public,
        "correcting": period.is_public and period.versions.filter(sealed=False).exists(),
        "moves": moves,
        "preview": _preview(progress) if period.status == Period.Status.APPROVED else None,
        "final_grades": _grade_counts(progress) if period.is_public else [],
        "imported": _just_imported(request, progress),
        "assignments": assignments,
        "unit_filter": unit_filter,
        "assign_form": AssignForm(period=period) if can_manage and not period.is_public else None,
        # A published period needs no more work from the units, so no account either.
        "without_account": None if period.is_public else _without_account(period, progress),
    }
    return render(request, "scoring/dashboard.html", context)


UNITS_PER_PAGE = 100


def _unit_table(request, period, progress, assignments) -> tuple[ProgressTable, UnitFilterForm]:
    """The units the page lists — filtered by name, state and appraiser, sorted by any column, a page of 100 at a
    time: a national period has 33,000 units, and a page of all of them took a minute to draw."""
    appraisers = {}
    for a in assignments:
        mine = appraisers.setdefault(str(a.appraiser_id), (a.appraiser, set()))[1]
        mine.add(a.unit_id)  # None: every unit of the period
    choices = [(pk, user.get_full_name() or user.get_username()) for pk, (user, _units) in appraisers.items()]
    form = UnitFilterForm(request.GET or None, appraisers=choices, finished=period.is_public)
    # A value the page does not offer (a state or appraiser from an old address) is left out; the others still filter.
    form.is_valid()
    wanted = getattr(form, "cleaned_data", {})  # the valid fields only; none for a form not sent
    units = appraisers.get(wanted.get("tham_dinh") or "", (None, None))[1]
    shown = progress.rows.where(
        text=wanted.get("q", ""),
        statuses=(wanted["tinh_trang"],) if wanted.get("tinh_trang") else (),
        unit_ids=None if units is None or None in units else units,
    )
    # An appraiser opens only the sheets of the units assigned to him (all of them: an assignment without a unit).
    mine = None
    if not permissions.is_administrator(request.user):
        mine = appraisers.get(str(request.user.pk), (None, set()))[1]
    table = ProgressTable(
        ProgressData(shown, progress.rows.read),
        period=period,
        may_open=None if mine is None or None in mine else mine,
        order_by=request.GET.get("sort"),
    )
    # The sort and the page number come from the address, never the page's size (?per_page=1000000 drew them all).
    tables.RequestConfig(request, paginate=False).configure(table)
    try:
        number = max(int(request.GET.get("trang", 1)), 1)  # not a number, or before the first page: the first
    except ValueError:
        number = 1
    try:
        table.paginate(page=number, per_page=UNITS_PER_PAGE)
    except EmptyPage:  # past the last: the last
        table.page = table.paginator.page(table.paginator.num_pages)
    return table, form


def _move_forms(move, typed: dict | None = None) -> dict:
    """The fields a move asks for, with ids of their own (several moves' forms share one page); after a refusal,
    what was typed in them (the confirmation excepted: it is typed again, on purpose)."""
    auto_id = f"id_{move.name}_%s"
    kwargs = {"auto_id": auto_id, "initial": typed or {}}
    return {
        "open": OpenForm(**kwargs),
        "publish": PublishForm(**kwargs),
        "reason": ReasonForm(**kwargs),
        "confirm": ConfirmForm(auto_id=auto_id),
    }


IMPORTED_SHOWN = 200


def _just_imported(request, progress) -> dict | None:
    """The units a score import has just written (their number, and the first of them), shown once on the period
    page it lands on."""
    state = request.session.pop(IMPORTED_SESSION_KEY, None)
    if not state or state.get("period") != progress.period.pk:
        return None
    wanted = state.get("units", [])
    rows = progress.rows.read(progress.rows.where(unit_ids=wanted[:IMPORTED_SHOWN]))
    return {"count": len(wanted), "rows": rows}


def _without_account(period, progress) -> dict:
    """How many of the period's units no staff account works for, and the first ten of them."""
    units = units_without_account(period, progress.rows.queryset())
    return {"count": units.count(), "first": list(units[:10])}


PREVIEW_ROWS = 200


def _preview(progress) -> dict:
    """The table exactly as publication would print it: units by rank (the first 200 of a large block; the whole
    table is in the detailed report), and how many of each grade, best grade first."""
    return {
        "rows": progress.rows.top(PREVIEW_ROWS),
        "grades": _grade_counts(progress),
        "complete": len(progress.rows.scale),
    }


def _grade_counts(progress) -> list[tuple[str, int]]:
    """How many units have each grade, the best grade first, grades nobody has left out."""
    return [(band.label, n) for band, n in progress.rows.scale.band_counts() if n]


@require_POST
@login_required
def assignment_add(request, pk: int):
    period = _period(pk)
    permissions.require(permissions.can_manage_period(request.user))  # before the form says what exists
    form = AssignForm(request.POST, period=period)
    try:
        data = _valid(form).cleaned_data
        added = services.assignments_add(
            period=period, appraiser=data["appraiser"], units=data["units"], by=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if added:
            messages.success(request, f"Đã thêm {added} phân công thẩm định.")
        else:
            messages.info(request, services.E_ASSIGN_NOTHING_NEW.format(user=data["appraiser"].get_username()))
    return redirect("scoring:dashboard", pk=period.pk)


@require_POST
@login_required
def assignment_remove(request, pk: int, assignment_id: int):
    period = _period(pk)
    permissions.require(permissions.can_manage_period(request.user))  # before a 404 says which assignments exist
    item = get_object_or_404(
        AppraiserAssignment.objects.select_related("appraiser", "unit", "period"), pk=assignment_id, period=period
    )
    try:
        services.assignment_remove(assignment=item, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Đã bỏ phân công thẩm định.")
    return redirect("scoring:dashboard", pk=period.pk)


@require_POST
@login_required
def period_move(request, pk: int):
    """Make a move of the period; a refusal keeps what was typed (shown again on the period page) and a page drawn
    before someone else moved the period says who moved it, when."""
    period = _period(pk)
    permissions.require(permissions.can_manage_period(request.user))  # before the move's checks say anything
    move, by = request.POST.get("move", ""), request.user
    drawn_at = request.POST.get("from", period.status)
    try:
        if drawn_at != period.status:
            raise ValidationError(workflow.what_moved(period) + f" Bước “{_label(drawn_at, move)}” không thực hiện.")
        reason = _valid(ReasonForm(request.POST)).cleaned_data["reason"]
        with transaction.atomic():
            _do_move(move, period, by, reason, request.POST)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        if drawn_at == period.status:  # shown again in the move's form, as typed
            request.session[MOVE_SESSION_KEY] = {
                "move": move,
                "data": {k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "confirm")},
            }
    else:
        period.refresh_from_db(fields=["status"])
        messages.success(request, f"Đã chuyển kỳ đánh giá sang bước “{period.get_status_display()}”.")
    return redirect("scoring:dashboard", pk=period.pk)


MOVE_SESSION_KEY = "period_move"


def _label(status: str, name: str) -> str:
    return next((m.label for m in workflow.moves_from(status) if m.name == name), name)


def _do_move(name, period, by, reason, data) -> None:
    move = workflow.move_named(period.status, name)
    kwargs = {"confirm": data.get("confirm", "")} if move.needs_confirmation else {}
    if move.needs_deadline:
        kwargs["deadline"] = _valid(OpenForm(data)).cleaned_data["deadline"]
    if move.needs_decision:
        kwargs.update(_valid(PublishForm(data)).cleaned_data)
    workflow.period_move(period=period, move=move, by=by, reason=reason, **kwargs)


def _valid(form):
    if not form.is_valid():
        raise ValidationError([f"{form.fields[name].label}: {' '.join(errs)}" for name, errs in form.errors.items()])
    return form


E_READ_ONLY = "Kỳ đánh giá đã công bố hoặc đã khóa: mọi số liệu chỉ để xem, không thay đổi được."


@require_http_methods(["GET", "POST"])
@login_required
def entry(request, pk: int, code: str):
    # A sheet of 120 criteria holds thousands of objects while it is drawn: the cyclic collector ran four times a
    # page for nothing to free, a third of the page's time in a process holding many objects (the benchmark's).
    with no_cyclic_collection():
        return _entry(request, pk, code)


def _entry(request, pk: int, code: str):
    period, unit = _period_and_unit(request, pk, code)
    sheet = entry_sheet(period, unit, request.user)
    if request.method == "GET":
        return _entry_page(request, sheet, Outcome(forms=shown_leaves(sheet)))
    outcome = _save_and_act(sheet, request)
    if outcome.target:
        return redirect(outcome.target)
    return _entry_page(request, outcome.sheet or sheet, outcome)


@dataclass
class Outcome:
    """What a POST of the entry sheet led to: where to go next, or the page to show again and why."""

    target: str = ""
    forms: dict = field(default_factory=dict)  # leaf id -> LeafForm, as the page shows them
    errors: dict = field(default_factory=dict)  # "<leaf id>-<field>" or "__all__" -> messages
    conflicts: list = field(default_factory=list)
    refused: bool = False  # the values were saved, the move after them was refused
    stale: str = ""  # why values the page sent were not saved (the period or the file moved on)
    unsaved: list = field(default_factory=list)  # (criterion code, field label, value typed) of those values
    sheet: object = None  # the sheet read again after a save


def _entry_page(request, sheet, outcome: Outcome):
    errors = outcome.errors
    for key, texts in errors.items():
        parsed = entry_fields.parse_key(key)
        form = outcome.forms.get(parsed[0]) if parsed else None
        if form is not None:
            form.mark(parsed[1], " ".join(texts))
    flagged = {p[0] for p in map(entry_fields.parse_key, errors) if p}
    attention = flagged | {r.node.pk for r in sheet.attention_rows}
    tree = sheet.tree
    for row in sheet.rows:
        row.form = outcome.forms.get(row.node.pk)
    context = {
        "sheet": sheet,
        "forms": outcome.forms,
        "errors": errors,
        "error_lines": _error_lines(sheet, errors),
        "dirty": any(f.is_bound for f in outcome.forms.values()),
        "refused": outcome.refused,
        "stale": outcome.stale,
        "unsaved": outcome.unsaved,
        "session_seconds": idle_sessions.seconds_left(request.session),
        "session_limit": settings.SESSION_COOKIE_AGE,
        "conflicts": outcome.conflicts,
        "general_errors": errors.get("__all__", []),
        "attention": attention,
        "attention_groups": {a.pk for leaf in attention if (node := tree.get(leaf)) for a in tree.ancestors(node)},
    }
    status = 409 if outcome.conflicts else (400 if errors or outcome.stale else 200)
    return render(request, "scoring/entry.html", context, status=status)


def _error_lines(sheet, errors: dict) -> list[tuple[int, str]]:
    """(leaf id, its messages) in the order of the sheet: the links at the top of the page."""
    if not errors:
        return []
    by_leaf: dict[int, list[str]] = {}
    for key, texts in errors.items():
        parsed = entry_fields.parse_key(key)
        if parsed:
            by_leaf.setdefault(parsed[0], []).extend(texts)
    return [(row.node.pk, " ".join(by_leaf[row.node.pk])) for row in sheet.rows if row.node.pk in by_leaf]


ACTIONS = {
    "submit": (workflow.submission_submit, "Đã nộp hồ sơ tự đánh giá."),
    "withdraw": (workflow.submission_withdraw, "Đã rút hồ sơ về để sửa."),
    "explain": (workflow.submission_explain, "Đã nộp giải trình."),
    "appraised": (workflow.appraisal_complete, "Đã ghi nhận hoàn thành thẩm định vòng này."),
}


def _save_and_act(sheet, request) -> Outcome:
    """Save what the person changed, then make the move asked for ("evidence:<id>": open that leaf's evidence
    page once saved).

    An invalid value saves nothing (the page shows everything again as typed, and says so); so do values the page
    as it is now has no input for (the period moved on since the page was drawn: the page says what happened).
    Valid values are saved even when the move is then refused — a refused submission keeps what was typed, and
    the page, read again from the database, marks what the move still needs."""
    action = request.POST.get("action", "save")
    forms = leaf_forms(sheet, request.POST)
    stale = stale_fields(forms, request.POST)
    if stale:
        unsaved = [(sheet.tree.get(pk), name, value) for pk, name, value in stale if sheet.tree.get(pk)]
        lines = [(n.code, entry_fields.label_of(name, n.method), value) for n, name, value in unsaved]
        return Outcome(forms=forms, stale=workflow.what_moved(sheet.period, sheet.unit), unsaved=lines)
    changed, conflicts = 0, []
    if forms and action != "withdraw":
        try:
            with transaction.atomic():
                saved = scores_save(
                    period=sheet.period,
                    unit=sheet.unit,
                    changes=[change for form in forms.values() for change in form.changes()],
                    by=request.user,
                    reason=request.POST.get("reason", "").strip(),
                )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            return Outcome(forms=forms, errors=errors)
        changed, conflicts = saved.changed, saved.conflicts
    if changed:
        messages.success(request, f"Đã lưu {changed} thay đổi.")
    if conflicts:
        fresh = entry_sheet(sheet.period, sheet.unit, request.user)
        return Outcome(
            forms=_with_conflicts(fresh, forms, conflicts),
            errors={c.key: [c.message] for c in conflicts},
            conflicts=conflicts,
            sheet=fresh,
        )
    if action in ACTIONS:
        service, text = ACTIONS[action]
        try:
            with transaction.atomic():
                service(period=sheet.period, unit=sheet.unit, by=request.user)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            fresh = entry_sheet(sheet.period, sheet.unit, request.user)
            return Outcome(forms=leaf_forms(fresh), errors=errors, refused=True, sheet=fresh)
        messages.success(request, text)
    elif not changed and not action.startswith("evidence:"):
        messages.info(request, "Không có thay đổi nào cần lưu.")
    return Outcome(target=_next_page(sheet, action))


def _with_conflicts(sheet, sent: dict, conflicts) -> dict:
    """The page read again: what is stored now everywhere, except the values that were not saved, shown as typed."""
    typed: dict[int, dict[str, str]] = {}
    for conflict in conflicts:
        pk, name = entry_fields.parse_key(conflict.key)
        typed.setdefault(pk, {})[name] = sent[pk][name].data
    forms = leaf_forms(sheet)
    return {pk: shown_again(form, typed[pk]) if pk in typed else form for pk, form in forms.items()}


def _next_page(sheet, action: str) -> str:
    leaf = action.removeprefix("evidence:") if action.startswith("evidence:") else ""
    if leaf.isdigit() and any(row.is_leaf and row.node.pk == int(leaf) for row in sheet.rows):
        return reverse("scoring:evidence", args=[sheet.period.pk, sheet.unit.code, int(leaf)])
    return reverse("scoring:entry", args=[sheet.period.pk, sheet.unit.code])


def _may_upload_evidence(request, pk: int, code: str, criterion_id: int) -> bool:
    unit = Unit.objects.filter(code=code).first()
    return unit is None or permissions.is_member(request.user, unit)


@accepts_uploads(_may_upload_evidence)
@require_http_methods(["GET", "POST"])
@login_required
def evidence(request, pk: int, code: str, criterion_id: int):
    period, unit = _period_and_unit(request, pk, code)
    criterion = get_object_or_404(Criterion, pk=criterion_id, criteria_set_id=period.criteria_set_id)
    if request.method == "POST" and period.is_public:
        messages.error(request, E_READ_ONLY)
        return redirect("scoring:evidence", pk=period.pk, code=unit.code, criterion_id=criterion.pk)
    if request.method == "POST":
        _evidence_add(request, period, unit, criterion)
        return redirect("scoring:evidence", pk=period.pk, code=unit.code, criterion_id=criterion.pk)
    form = _evidence_form(request, criterion)
    items = list(
        Evidence.objects.filter(
            score__period=period, score__unit=unit, score__criterion=criterion, removed=False
        ).select_related("uploaded_by")
    )
    status = workflow.submission_status(period, unit)
    context = {
        "period": period,
        "unit": unit,
        "criterion": criterion,
        "items": items,
        "form": form,
        "can_add": permissions.can_edit_self(request.user, period, unit, status)
        or permissions.can_explain(request.user, period, unit, status),
    }
    return render(request, "scoring/evidence.html", context)


EVIDENCE_SESSION_KEY = "evidence_refused"


def _evidence_add(request, period, unit, criterion) -> None:
    """Add the evidence sent; a refusal is kept in the session with what was typed, for the page the redirect
    shows (post/redirect/get: Back and Reload never offer to send the form again)."""
    form = EvidenceForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        data = form.cleaned_data
        evidence_add(
            period=period,
            unit=unit,
            criterion=criterion,
            by=request.user,
            upload=data["upload"],
            link=data["link"] or "",
            title=data["title"],
        )
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
        typed = {name: request.POST.get(name, "") for name in ("link", "title")}
        request.session[EVIDENCE_SESSION_KEY] = {"criterion": criterion.pk, "typed": typed, "errors": errors}
    else:
        messages.success(request, "Đã thêm minh chứng.")


def _evidence_form(request, criterion) -> EvidenceForm:
    """The empty form, or after a refusal the form as it was typed (a file has to be chosen again) with why it
    was refused."""
    state = request.session.pop(EVIDENCE_SESSION_KEY, None)
    if not state or state.get("criterion") != criterion.pk:
        return EvidenceForm()
    form = EvidenceForm(initial=state["typed"])
    form.cleaned_data = {}  # an unbound form takes errors only with this
    for name, texts in state["errors"].items():
        form.add_error(None if name not in form.fields else name, texts)
    return form


@require_POST
@login_required
def evidence_withdraw(request, pk: int):
    item = get_object_or_404(Evidence.objects.select_related("score__unit", "score__criterion"), pk=pk)
    try:
        evidence_remove(evidence=item, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    score = item.score
    return redirect("scoring:evidence", pk=score.period_id, code=score.unit.code, criterion_id=score.criterion_id)


@require_safe
@login_required
def evidence_download(request, pk: int):
    item = get_object_or_404(Evidence.objects.select_related("score__period", "score__unit"), pk=pk, removed=False)
    permissions.require(permissions.can_view_entry(request.user, item.score.period, item.score.unit))
    if not item.file:
        raise Http404
    try:
        # Through the storage only (a local folder or a private bucket): never a path or a link to the bucket.
        handle = item.file.storage.open(item.file.name, "rb")
    except FileNotFoundError:  # the database came back without its files (see docs/deploy.md, backup)
        return render(request, "404.html", {"message": E_EVIDENCE_MISSING.format(name=item.original_name)}, status=404)
    # The bytes are fetched here, in the view: an object store that fails now answers the 503 page
    # (cchc_portal/outages.py), not a download cut off after its headers were sent.
    handle.open()
    return FileResponse(
        handle,
        as_attachment=True,
        filename=item.original_name,
        content_type=KINDS[item.kind].content_type if item.kind in KINDS else "application/octet-stream",
    )


@require_safe
@login_required
def audit_export(request, pk: int):
    period = _period(pk)
    permissions.require(permissions.can_manage_period(request.user))
    entries = AuditEntry.objects.filter(period=period).select_related("by", "unit", "criterion").order_by("at", "pk")
    content = audit_workbook(period, entries.iterator(chunk_size=2000))
    return xlsx_response(
        content,
        f"nhat-ky-{period.block.code}-{period.year}.xlsx",
        f"Nhật ký chấm điểm {period.block.name} năm {period.year}.xlsx",
    )
