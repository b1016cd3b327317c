"""Reminders and notices: what each person should be told now, sent once by e-mail and listed on their work list.

What is due is worked out from the state of the periods, not from events: a unit whose deadline is near and
which has not submitted, a unit whose file came back for explanation, an appraiser whose round is open, an
administrator whose period is fully submitted or fully appraised. Each item has a key that names the person
and the occasion; the daily command (`manage.py send_notices`) records the key in the same transaction as it
sends the mail, so the same notice is never sent twice, and a mail that fails is tried again the next day.
The work list shows the same items, live, until the work is done.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from scoring import permissions
from scoring.models import AppraiserAssignment, Criterion, Method, Notice, Period, Score, Submission
from scoring.progress import NOT_SUBMITTED, SUBMITTED, period_progress
from units.models import Unit, UnitMembership

log = logging.getLogger(__name__)

S = Period.Status
U = Submission.Status
K = Notice.Kind
REMIND_DAYS = 3  # a unit that has not submitted is reminded this many days before the deadline
ROUND_LABEL = {S.APPRAISAL: "vòng 1", S.APPRAISAL_2: "vòng 2"}
SUBJECT = "[Cổng CCHC] {label}"
BODY = (
    "{text}\n\nMở trên cổng: {url}\n\n"
    "Thư gửi tự động từ Cổng đánh giá công tác cải cách hành chính; xin đừng trả lời thư này."
)


@dataclass(frozen=True)
class Item:
    """One thing one person should do or know now, with where to do it."""

    key: str
    user_id: int
    period: Period
    kind: str
    text: str
    link: str
    mail: bool = True  # False: shown on the work list only (progress, a deadline still far off)

    @property
    def label(self) -> str:
        return K(self.kind).label


def due(now=None, user=None) -> list[Item]:
    """Everything due now, for everyone or for one user, in a fixed number of queries per live period."""
    now = now or timezone.now()
    live = Period.objects.filter(is_demo=False) if user is None else Period.objects.all()
    live = live.filter(status__in=(S.OPEN, S.APPRAISAL, S.EXPLANATION, S.APPRAISAL_2))
    if user is not None:
        live = permissions.periods_visible_to(user, live)
    items: list[Item] = []
    for period in live.select_related("block").order_by("-year", "block__sort_order"):
        items += _unit_items(period, now, user)
        items += _appraiser_items(period, user)
        items += _administrator_items(period, user)
    return items


def _period_name(period: Period) -> str:
    return f"{period.block.name} năm {period.year}"


def _members(period: Period, unit_ids, user) -> dict[int, list[int]]:
    rows = UnitMembership.objects.filter(unit_id__in=unit_ids, user__is_active=True)
    if user is not None:
        rows = rows.filter(user=user)
    found: dict[int, list[int]] = {}
    for unit_id, user_id in rows.values_list("unit_id", "user_id"):
        found.setdefault(unit_id, []).append(user_id)
    return found


def _unit_items(period: Period, now, user) -> list[Item]:
    if user is not None and not permissions.member_unit_ids(user):
        return []
    items = []
    statuses = dict(Submission.objects.filter(period=period).values_list("unit_id", "status"))
    if period.status == S.OPEN and period.deadline and now < period.deadline:
        near = period.deadline <= now + timedelta(days=REMIND_DAYS)
        if user is None and not near:
            return items  # nothing to mail yet
        units = (
            Unit.objects.filter(block_id=period.block_id)
            .active_in(period.year)
            .exclude(pk__in=[u for u, s in statuses.items() if s not in (U.NOT_STARTED, U.DRAFT)])
        )
        names, codes = _names(units)
        filled = _filled(period, names)
        must = Criterion.objects.leaves_of(period.criteria_set_id).filter(method=Method.SELF).count()
        left = period.deadline - now
        when = f"còn {left.days} ngày" if left.days else f"còn {max(1, left.seconds // 3600)} giờ"
        deadline = timezone.localtime(period.deadline).strftime("%H:%M ngày %d/%m/%Y")
        for unit_id, user_ids in _members(period, names, user).items():
            text = (
                f"Hồ sơ tự đánh giá của {names[unit_id]} ({_period_name(period)}) chưa nộp, đã nhập điểm "
                f"{filled.get(unit_id, 0)}/{must} tiêu chí; hạn nộp {deadline} ({when})."
            )
            link = reverse("scoring:entry", args=[period.pk, codes[unit_id]])
            items += [
                Item(f"deadline:{period.pk}:{unit_id}:{uid}", uid, period, K.DEADLINE, text, link, mail=near)
                for uid in user_ids
            ]
    if period.status == S.EXPLANATION:
        returned = [u for u, s in statuses.items() if s == U.APPRAISED_1]
        cut = dict.fromkeys(returned, 0)
        for unit_id in (
            Score.objects.filter(period=period, unit_id__in=returned, round1_points__lt=F("self_points"))
            .values_list("unit_id", flat=True)
            .order_by()
        ):
            cut[unit_id] += 1
        names, codes = _names(Unit.objects.filter(pk__in=returned))
        for unit_id, user_ids in _members(period, returned, user).items():
            text = f"Hồ sơ của {names[unit_id]} ({_period_name(period)}) được trả về để giải trình" + (
                f": {cut[unit_id]} tiêu chí bị trừ điểm ở vòng 1." if cut[unit_id] else "."
            )
            link = reverse("scoring:entry", args=[period.pk, codes[unit_id]])
            items += [
                Item(f"explain:{period.pk}:{unit_id}:{uid}", uid, period, K.EXPLAIN, text, link) for uid in user_ids
            ]
    return items


def _filled(period: Period, unit_ids) -> dict[int, int]:
    """How many self-assessed leaves each unit has points for."""
    rows = (
        Score.objects.filter(
            period=period, unit_id__in=list(unit_ids), criterion__method=Method.SELF, self_points__isnull=False
        )
        .values("unit_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["unit_id"]: row["n"] for row in rows}


def _names(units) -> tuple[dict, dict]:
    rows = list(units.values_list("pk", "name", "code"))
    return {pk: name for pk, name, _ in rows}, {pk: code for pk, _, code in rows}


def _appraiser_items(period: Period, user) -> list[Item]:
    if period.status not in ROUND_LABEL or (user is not None and not permissions.is_appraiser(user)):
        return []
    assignments = AppraiserAssignment.objects.filter(period=period, appraiser__is_active=True)
    if user is not None:
        assignments = assignments.filter(appraiser=user)
    shares: dict[int, set] = {}
    everything = set()
    for appraiser_id, unit_id in assignments.values_list("appraiser_id", "unit_id"):
        if unit_id is None:
            everything.add(appraiser_id)
        shares.setdefault(appraiser_id, set()).add(unit_id)
    done = U.APPRAISED_1 if period.status == S.APPRAISAL else U.APPRAISED_2
    # Waiting: a submitted file whose round is not closed, and a unit that never submitted but still needs
    # appraised points before the results can be approved.
    open_rounds = [status for status in SUBMITTED if status != done]
    waiting = set(
        period_progress(period)
        .rows.queryset()
        .filter(Q(state__in=open_rounds) | Q(state__in=NOT_SUBMITTED, projected__isnull=True))
        .values_list("pk", flat=True)
    )
    round_label = ROUND_LABEL[period.status]
    items = []
    for appraiser_id, units in shares.items():
        mine = waiting if appraiser_id in everything else waiting & units
        text = (
            f"Đã mở thẩm định {round_label} kỳ {_period_name(period)}: "
            f"{len(mine)} đơn vị được phân công cho bạn đang chờ thẩm định."
        )
        link = reverse("scoring:dashboard", args=[period.pk])
        key = f"round:{period.pk}:{period.status}:{appraiser_id}"
        if mine:  # sent once, when the first unit waits; listed while any does
            items.append(Item(key, appraiser_id, period, K.ROUND_OPEN, text, link))
    return items


def _administrator_items(period: Period, user) -> list[Item]:
    if user is not None and not permissions.is_administrator(user):
        return []
    if period.status not in (S.OPEN, S.APPRAISAL, S.APPRAISAL_2):
        return []
    progress = period_progress(period)
    units = progress.units_count
    if not units:
        return []
    if period.status == S.OPEN:
        ready = not progress.count(*NOT_SUBMITTED)
        kind, text = K.ALL_SUBMITTED, f"Cả {units} đơn vị của kỳ {_period_name(period)} đã nộp hồ sơ tự đánh giá."
        key = f"all_submitted:{period.pk}"
    else:
        submitted = progress.count(*SUBMITTED)
        if period.status == S.APPRAISAL:
            ready = bool(submitted) and submitted == progress.count(U.APPRAISED_1)
        else:
            ready = not progress.count(complete=False) and not progress.count(U.EXPLAINED)
        kind = K.ALL_APPRAISED
        text = f"Mọi đơn vị của kỳ {_period_name(period)} đã được thẩm định xong {ROUND_LABEL[period.status]}."
        key = f"all_appraised:{period.pk}:{period.status}"
    link = reverse("scoring:dashboard", args=[period.pk])
    if ready:
        return [Item(f"{key}:{uid}", uid, period, kind, text, link) for uid in _administrator_ids(user)]
    if user is None:
        return []
    return [Item(f"progress:{period.pk}:{user.pk}", user.pk, period, K.PROGRESS, _progress(progress), link, False)]


def _progress(progress) -> str:
    """Where a period that is not finished with its step stands, for the administrator's work list."""
    period, units = progress.period, progress.units_count
    name = _period_name(period)
    if period.status == S.OPEN:
        done = progress.count(*SUBMITTED)
        deadline = timezone.localtime(period.deadline).strftime("%d/%m/%Y") if period.deadline else "chưa đặt"
        return f"Kỳ {name}: {done}/{units} đơn vị đã nộp hồ sơ tự đánh giá; hạn {deadline}."
    if period.status == S.APPRAISAL:
        done = progress.count(U.APPRAISED_1)
        return f"Kỳ {name}, thẩm định vòng 1: {done}/{progress.count(*SUBMITTED)} hồ sơ đã nộp đã được thẩm định xong."
    explained = [status for status in U.values if status != U.EXPLAINED]
    done = progress.count(*explained, complete=True)
    return f"Kỳ {name}, thẩm định vòng 2: {done}/{units} đơn vị đã được thẩm định xong."


def _administrator_ids(user) -> list[int]:
    if user is not None:
        return [user.pk]
    users = get_user_model().objects.filter(is_active=True)
    return list(
        users.filter(Q(is_superuser=True) | Q(groups__name=permissions.ADMINISTRATOR))
        .distinct()
        .values_list("pk", flat=True)
    )


def send(now=None, base_url: str | None = None) -> tuple[int, int]:
    """Send every due notice not sent before; returns (sent, failed). A notice and its mail go together: the
    key is stored in the transaction that sends, so a failed mail leaves nothing recorded and is retried."""
    base_url = (base_url or settings.PORTAL_URL).rstrip("/")
    items = [item for item in due(now) if item.mail]
    already = set(Notice.objects.filter(key__in=[i.key for i in items]).values_list("key", flat=True))
    recipients = get_user_model().objects.in_bulk({i.user_id for i in items if i.key not in already})
    sent = failed = 0
    for item in items:
        if item.key in already:
            continue
        person = recipients[item.user_id]
        try:
            with transaction.atomic():
                Notice.objects.create(
                    key=item.key,
                    user=person,
                    period=item.period,
                    kind=item.kind,
                    text=item.text,
                    link=item.link,
                )
                if person.email:
                    body = BODY.format(text=item.text, url=base_url + item.link)
                    send_mail(SUBJECT.format(label=item.label), body, None, [person.email])
        except IntegrityError:  # another run recorded it meanwhile: it was sent there
            continue
        except Exception:  # a mail server down: nothing recorded, tried again on the next run
            log.exception("notice %s to %s not sent", item.key, person.get_username())
            failed += 1
            continue
        sent += 1
    return sent, failed
