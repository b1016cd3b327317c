"""Unit staff accounts made from the portal: the account, its role and its unit in one step, and a mail with a
link to set the password, so nobody at Sở Nội vụ chooses, knows or sends the password.

The link is Django's password reset link (default_token_generator, the page /dat-lai-mat-khau/…): it works
until the password is set or PASSWORD_RESET_TIMEOUT passes. An account that has never set its password
cannot ask for a link itself (Django's reset form skips such accounts), so the page offers to send it again.

The audit log (scoring.audit) records changes within an evaluation period; an account belongs to none, so
these services write to the "scoring.accounts" log instead (shown at INFO, settings.LOGGING).
"""

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cchc_portal.lib.text import TextProblem, clean_text
from scoring import permissions
from units.models import UNIT_STAFF, Unit, UnitMembership

log = logging.getLogger("scoring.accounts")

USERNAME = re.compile(r"[A-Za-z0-9._@+-]+\Z")  # no diacritics or spaces: typed on any keyboard, in any mail
USERNAME_MAX, NAME_MAX, EMAIL_MAX = 150, 150, 254

E_USERNAME_MISSING = "Cần nhập tên đăng nhập."
E_USERNAME_INVALID = (
    "Tên đăng nhập “{username}” chỉ được gồm chữ cái không dấu, chữ số và các dấu . _ - @ + (không có dấu cách), "
    "ví dụ canbo.tuphap."
)
E_USERNAME_TOO_LONG = "Tên đăng nhập dài {length} ký tự, vượt quá {limit} ký tự."
E_USERNAME_TAKEN = "Tên đăng nhập “{username}” trùng với tài khoản đã có “{existing}”; hãy chọn tên khác."
E_EMAIL_MISSING = "Cần nhập địa chỉ thư điện tử: thư có đường dẫn đặt mật khẩu được gửi tới địa chỉ này."
E_EMAIL_INVALID = "Địa chỉ thư điện tử “{email}” không hợp lệ (ví dụ đúng: canbo@sotuphap.hue.gov.vn)."
E_EMAIL_TAKEN = (
    "Địa chỉ thư điện tử “{email}” đã là địa chỉ của tài khoản “{existing}”; mỗi tài khoản cần một địa chỉ riêng."
)
E_NOT_UNIT_ACCOUNT = (
    "Tài khoản “{username}” không chỉ là tài khoản cán bộ đơn vị (chưa gắn với đơn vị, hoặc còn có vai trò khác); "
    "hãy sửa ở trang quản trị."
)
E_SELF = "Bạn không thể khóa tài khoản của chính mình."
E_INACTIVE = "Tài khoản “{username}” đang bị khóa; hãy mở lại trước khi gửi thư."
E_NO_EMAIL = "Tài khoản “{username}” chưa có địa chỉ thư điện tử; hãy thêm ở trang quản trị rồi gửi lại."
E_ALREADY_SET_UP = (
    "Tài khoản “{username}” đã đặt mật khẩu; nếu quên, người dùng tự xin đường dẫn mới ở trang “Quên mật khẩu”."
)

SUBJECT = "[Cổng CCHC] Tài khoản {username}: đặt mật khẩu"
BODY = """Xin chào {name},

{department} đã tạo cho bạn tài khoản cán bộ đơn vị của {units} trên Cổng đánh giá công tác cải cách hành chính.

Tên đăng nhập: {username}

Để đặt mật khẩu, mở đường dẫn sau trong vòng {valid}:

{link}

Sau đó đăng nhập tại {login} để tự đánh giá, tải minh chứng và nộp hồ sơ của đơn vị. Nếu đường dẫn đã hết hạn, \
xin quản trị {department} gửi lại thư.

Thư gửi tự động từ Cổng đánh giá công tác cải cách hành chính; xin đừng trả lời thư này.
"""


@dataclass
class NewAccount:
    """An account just made; `mailed` says whether its link went out (None while the transaction is open)."""

    user: object
    unit: Unit
    mailed: bool | None = None


@transaction.atomic
def unit_account_create(*, unit: Unit, username: str, email: str, full_name: str = "", by) -> NewAccount:
    """Create a unit's staff account with its role and its unit, and mail it a link to set its password once the
    transaction commits. Every field is checked before anything is written; errors are keyed by field."""
    permissions.require(permissions.can_manage_unit_accounts(by))
    username, email, full_name = _checked(username=username, email=email, full_name=full_name)
    users = get_user_model().objects
    try:
        with transaction.atomic():
            # No password: the account cannot sign in until its owner sets one through the link.
            user = users.create_user(username=username, email=email, first_name=full_name)
    except IntegrityError:  # made by someone else since the check
        raise ValidationError({"username": E_USERNAME_TAKEN.format(username=username, existing=username)}) from None
    user.groups.add(Group.objects.get(name=UNIT_STAFF))
    UnitMembership.objects.create(user=user, unit=unit)
    account = NewAccount(user=user, unit=unit)
    transaction.on_commit(lambda: _mail_new(account))
    log.info("unit account %s created for %s (%s) by %s", username, unit.code, email, by.get_username())
    return account


def unit_account_invite(*, user, by) -> bool:
    """Send the link to set the password again (the first one expired or was lost); False if the mail failed."""
    permissions.require(permissions.can_manage_unit_accounts(by))
    units = _units_of_unit_account(user)
    name = user.get_username()
    if not user.is_active:
        raise ValidationError(E_INACTIVE.format(username=name))
    if not user.email:
        raise ValidationError(E_NO_EMAIL.format(username=name))
    if user.has_usable_password():
        raise ValidationError(E_ALREADY_SET_UP.format(username=name))
    return _send_link(user, units)


@transaction.atomic
def unit_account_set_active(*, user, active: bool, by) -> None:
    """Deactivate a unit account (it can no longer sign in and gets no reminders) or activate it again."""
    permissions.require(permissions.can_manage_unit_accounts(by))
    if user.pk == by.pk:
        raise ValidationError(E_SELF)
    _units_of_unit_account(user)
    get_user_model().objects.filter(pk=user.pk).update(is_active=active)
    user.is_active = active
    log.info(
        "unit account %s %s by %s", user.get_username(), "activated" if active else "deactivated", by.get_username()
    )


def _checked(*, username: str, email: str, full_name: str) -> tuple[str, str, str]:
    errors = {}
    username = (username or "").strip()
    users = get_user_model().objects
    if not username:
        errors["username"] = E_USERNAME_MISSING
    elif len(username) > USERNAME_MAX:
        errors["username"] = E_USERNAME_TOO_LONG.format(length=len(username), limit=USERNAME_MAX)
    elif not USERNAME.match(username):
        errors["username"] = E_USERNAME_INVALID.format(username=username)
    elif existing := users.filter(username__iexact=username).first():
        errors["username"] = E_USERNAME_TAKEN.format(username=username, existing=existing.get_username())
    email = BaseUserManager.normalize_email((email or "").strip())
    if not email:
        errors["email"] = E_EMAIL_MISSING
    elif not _valid_email(email):
        errors["email"] = E_EMAIL_INVALID.format(email=email)
    elif existing := users.filter(email__iexact=email).first():
        errors["email"] = E_EMAIL_TAKEN.format(email=email, existing=existing.get_username())
    try:
        full_name = clean_text(full_name, max_length=NAME_MAX, label="Họ và tên")
    except TextProblem as problem:
        errors["full_name"] = problem.message
    if errors:
        raise ValidationError(errors)
    return username, email, full_name


def _valid_email(email: str) -> bool:
    if len(email) > EMAIL_MAX:
        return False
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


def _units_of_unit_account(user) -> list[Unit]:
    """The units of an account that is a unit staff account and nothing more; refused otherwise (an appraiser's
    or an administrator's account is managed in the admin)."""
    units = [m.unit for m in user.unit_memberships.select_related("unit").order_by("unit__name")]
    other_roles = user.groups.exclude(name=UNIT_STAFF).exists()
    if not units or other_roles or user.is_staff or user.is_superuser:
        raise ValidationError(E_NOT_UNIT_ACCOUNT.format(username=user.get_username()))
    return units


def _mail_new(account: NewAccount) -> None:
    account.mailed = _send_link(account.user, [account.unit])


def _send_link(user, units: list[Unit]) -> bool:
    base = settings.PORTAL_URL.rstrip("/")
    token = default_token_generator.make_token(user)
    path = reverse(
        "password_reset_confirm", kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": token}
    )
    body = BODY.format(
        name=user.get_full_name() or user.get_username(),
        department=settings.PORTAL_DEPARTMENT,
        units=", ".join(unit.name for unit in units),
        username=user.get_username(),
        valid=_duration(settings.PASSWORD_RESET_TIMEOUT),
        link=base + path,
        login=base + reverse("login"),
    )
    try:
        send_mail(SUBJECT.format(username=user.get_username()), body, None, [user.email])
    except Exception:  # a mail server down: the account stays, and the page offers to send the link again
        log.exception("password link for unit account %s not sent", user.get_username())
        return False
    log.info("password link sent to unit account %s (%s)", user.get_username(), user.email)
    return True


def _duration(seconds: int) -> str:
    if seconds >= 86400 and seconds % 86400 == 0:
        return f"{seconds // 86400} ngày"
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds // 3600} giờ"
    return f"{max(1, seconds // 60)} phút"
