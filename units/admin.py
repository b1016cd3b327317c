"""The staff admin for blocks, units and unit accounts; blocks and units also import and export as Excel.

A unit account needs two things to open its unit's sheet: the group "Cán bộ đơn vị" and a membership. The
membership form refuses an account without the group (or adds it, when asked to); the user page warns when
an account has one without the other.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, SetUnusablePasswordMixin
from django.contrib.auth.models import Group
from django.db.models import Exists, Max, Min, OuterRef
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from cchc_portal.admin_labels import LabelledAdmin
from cchc_portal.lib.problems import Refused
from units.models import UNIT_STAFF, Block, Unit, UnitMembership
from units.resources import BlockResource, SafeXLSX, UnitResource, import_errors

UNREADABLE = _("Không đọc được tệp: tệp hỏng hoặc không phải bảng tính Excel .xlsx.")
IMPORT_REFUSED = _("Không nhập được tệp “%(file)s”, nên không có dòng nào được ghi: %(errors)s")
E_NOT_IN_GROUP = _(
    "Tài khoản “%(user)s” chưa thuộc nhóm “Cán bộ đơn vị”: gắn với đơn vị mà thiếu nhóm này thì người dùng vẫn "
    "không mở được hồ sơ của đơn vị (bị từ chối truy cập) và không thấy kỳ đánh giá nào."
)
FIX_WITH_CHECKBOX = _(
    "Đánh dấu ô “Thêm tài khoản vào nhóm Cán bộ đơn vị” bên dưới rồi lưu lại, hoặc thêm nhóm “Cán bộ đơn vị” ở "
    "trang của tài khoản (Người dùng → %(user)s → Nhóm) trước."
)
FIX_ON_USER_PAGE = _(
    "Cần thêm nhóm “Cán bộ đơn vị” ở trang của tài khoản (Người dùng → %(user)s → Nhóm; việc của người có quyền "
    "sửa tài khoản) trước khi gắn tài khoản với đơn vị."
)
W_GROUP_WITHOUT_UNIT = _(
    "Tài khoản “{user}” thuộc nhóm “Cán bộ đơn vị” nhưng chưa gắn với đơn vị nào: người dùng đăng nhập sẽ không "
    'thấy hồ sơ nào. <a href="{link}">Gắn tài khoản với đơn vị</a>.'
)
W_UNIT_WITHOUT_GROUP = _(
    "Tài khoản “{user}” được gắn với {units} nhưng không thuộc nhóm “Cán bộ đơn vị”: người dùng sẽ bị từ chối khi "
    "mở hồ sơ của đơn vị. Chọn nhóm “Cán bộ đơn vị” ở mục Nhóm rồi lưu lại."
)


class ExcelImportExportAdmin(LabelledAdmin, ImportExportModelAdmin):
    """Excel import and export in the admin; an import writes every row or, on any error, none."""

    import_formats = [SafeXLSX]
    export_formats = [SafeXLSX]

    def has_import_permission(self, request):
        # An import creates and changes rows; django-import-export would let any staff account do it.
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def add_data_read_fail_error_to_form(self, form, e):
        # The library's message is English and names an exception; ours names the file's problem.
        form.add_error("import_file", " ".join(e.errors) if isinstance(e, Refused) else str(UNREADABLE))

    def get_import_data_kwargs(self, **kwargs):
        # The confirm step imports again; if the data changed since the preview, refuse everything there too.
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def get_data_for_export(self, request, queryset, **kwargs):
        # Years and orders go out as numbers; the library decides this by the exact format class only.
        kwargs["force_native_type"] = True
        return super().get_data_for_export(request, queryset, **kwargs)

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            file_name = request.POST.get("original_file_name", "")
            errors = "; ".join(import_errors(result)[:10])
            messages.error(request, IMPORT_REFUSED % {"file": file_name, "errors": errors})
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_import"))
        return super().process_result(result, request)


@admin.register(Block)
class BlockAdmin(ExcelImportExportAdmin):
    """Blocks are data: Sở Nội vụ adds, renames and orders them here. A block's code is in the address of its
    published tables, so it stays as it is once the block has an evaluation period."""

    resource_classes = [BlockResource]
    list_display = ("code", "name", "title_phrase", "sort_order")
    list_editable = ("sort_order",)
    ordering = ("sort_order",)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.periods.exists():
            return ("code",)
        return ()

    def has_delete_permission(self, request, obj=None):
        # A block with units or periods is kept (the database protects them too); an empty one may go.
        if obj is not None and (obj.units.exists() or obj.periods.exists()):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Unit)
class UnitAdmin(ExcelImportExportAdmin):
    resource_classes = [UnitResource]
    list_display = ("name", "code", "block", "first_year", "last_year")
    list_filter = ("block",)
    search_fields = ("name", "short_name", "code")
    list_select_related = ("block",)
    filter_horizontal = ("successors",)
    ordering = ("block__sort_order", "name")
    actions = ["join_units"]

    @admin.action(description=_("Nối hai đơn vị là một (cùng đơn vị, tên in khác nhau qua các năm)"))
    def join_units(self, request, queryset):
        """Two units that are one under two spellings ("Thanh tra tỉnh", "Thanh tra Thừa Thiên Huế"): the one with
        the earlier published years becomes the other's predecessor, so its history and the comparison with the
        year before follow it. Published tables keep the names they printed."""
        units = list(queryset.annotate(first=Min("results__period__year"), last=Max("results__period__year")))
        if len(units) != 2 or units[0].block_id != units[1].block_id:
            self.message_user(request, E_JOIN_TWO, messages.ERROR)
            return
        older, newer = sorted(units, key=lambda u: (u.first or 10_000, u.pk))
        if older.first is None or newer.first is None or older.last >= newer.first:
            text = E_JOIN_OVERLAP if older.first and newer.first else E_JOIN_UNPUBLISHED
            self.message_user(request, text.format(a=older.name, b=newer.name), messages.ERROR)
            return
        older.successors.add(newer)
        Unit.objects.filter(pk=older.pk).update(last_year=older.last)
        self.message_user(request, JOINED.format(a=older.name, b=newer.name, year=newer.first), messages.SUCCESS)


E_JOIN_TWO = _("Hãy chọn đúng hai đơn vị cùng một khối để nối.")
E_JOIN_OVERLAP = _("“{a}” và “{b}” đều có kết quả trong cùng một năm: là hai đơn vị, không nối.")
E_JOIN_UNPUBLISHED = _("Cả “{a}” và “{b}” cần có kết quả đã công bố thì mới biết đơn vị nào là tên cũ.")
JOINED = _("Đã nối: “{a}” là tên cũ của “{b}” (từ năm {year}); lịch sử và so sánh năm trước đi theo đơn vị mới.")


def _in_unit_staff(user_ref):
    return Exists(Group.objects.filter(name=UNIT_STAFF, user=user_ref))


class UnitMembershipForm(forms.ModelForm):
    """A membership, refused when its account is not in the group "Cán bộ đơn vị" unless asked to add it."""

    add_to_group = forms.BooleanField(
        label=_("Thêm tài khoản vào nhóm Cán bộ đơn vị"),
        required=False,
        help_text=_("Tài khoản cần cả nhóm này và đơn vị mới mở được hồ sơ của đơn vị."),
    )

    class Meta:
        model = UnitMembership
        fields = ("user", "unit")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Offered only to whoever may change accounts (UnitMembershipAdmin.get_fields leaves it out otherwise).
        if "add_to_group" not in (self._meta.fields or ()):
            del self.fields["add_to_group"]

    def clean(self):
        data = super().clean()
        user = data.get("user")
        if user is None or data.get("add_to_group") or user.groups.filter(name=UNIT_STAFF).exists():
            return data
        name = {"user": user.get_username()}
        fix = FIX_WITH_CHECKBOX if "add_to_group" in self.fields else FIX_ON_USER_PAGE
        self.add_error("user", f"{E_NOT_IN_GROUP % name} {fix % name}")
        return data


@admin.register(UnitMembership)
class UnitMembershipAdmin(LabelledAdmin, admin.ModelAdmin):
    form = UnitMembershipForm
    list_display = ("user", "unit", "in_group")
    list_filter = ("unit__block",)
    search_fields = ("user__username", "unit__name")
    autocomplete_fields = ("user", "unit")
    list_select_related = ("user", "unit")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(in_unit_staff=_in_unit_staff(OuterRef("user_id")))

    @admin.display(description=_("thuộc nhóm Cán bộ đơn vị"), boolean=True, ordering="in_unit_staff")
    def in_group(self, obj):
        return obj.in_unit_staff

    def get_fields(self, request, obj=None):
        # Adding the group is a change of the account: only for whoever may change accounts.
        may_add = request.user.has_perm("auth.change_user")
        return ("user", "unit", "add_to_group") if may_add else ("user", "unit")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("add_to_group") and request.user.has_perm("auth.change_user"):
            obj.user.groups.add(Group.objects.get(name=UNIT_STAFF))


class PasswordChangeForm(AdminPasswordChangeForm):
    """Django's form, with its warning said in Vietnamese: Django joins that sentence to the translated help text
    once, when its module is imported, so no translation reaches it."""

    usable_password_help_text = format_lazy(
        '{help}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{warning}</li></ul>',
        help=SetUnusablePasswordMixin.usable_password_help_text,
        warning=_("Nếu tắt, mật khẩu hiện tại của người dùng này sẽ mất."),
    )


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class AccountAdmin(LabelledAdmin, UserAdmin):
    """Django's user admin, warning when an account has the unit staff group without a unit, or the reverse."""

    change_password_form = PasswordChangeForm

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            user = self.get_object(request, unquote(object_id))
            if user is not None:
                self._warn(request, user)
        return super().change_view(request, object_id, form_url, extra_context)

    def response_change(self, request, obj):
        if "_continue" not in request.POST:  # otherwise the page it goes back to warns
            self._warn(request, obj)
        return super().response_change(request, obj)

    def _warn(self, request, user):
        in_group = user.groups.filter(name=UNIT_STAFF).exists()
        units = [m.unit.name for m in user.unit_memberships.select_related("unit").order_by("unit__name")]
        name = user.get_username()
        if in_group and not units:
            link = reverse("admin:units_unitmembership_add") + f"?user={user.pk}"
            messages.warning(request, format_html(str(W_GROUP_WITHOUT_UNIT), user=name, link=link))
        elif units and not in_group:
            messages.warning(request, str(W_UNIT_WITHOUT_GROUP).format(user=name, units=", ".join(units)))
