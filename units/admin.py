"""The staff admin for blocks, units and unit accounts; blocks and units also import and export as Excel."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from cchc_portal.lib.problems import Refused
from units.models import Block, Unit, UnitMembership
from units.resources import BlockResource, SafeXLSX, UnitResource, import_errors

UNREADABLE = _("Không đọc được tệp: tệp hỏng hoặc không phải bảng tính Excel .xlsx.")
IMPORT_REFUSED = _("Không nhập được tệp “%(file)s”, nên không có dòng nào được ghi: %(errors)s")


class ExcelImportExportAdmin(ImportExportModelAdmin):
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
    resource_classes = [BlockResource]
    list_display = ("code", "name", "title_phrase", "sort_order")
    ordering = ("sort_order",)


@admin.register(Unit)
class UnitAdmin(ExcelImportExportAdmin):
    resource_classes = [UnitResource]
    list_display = ("name", "code", "block", "first_year", "last_year")
    list_filter = ("block",)
    search_fields = ("name", "short_name", "code")
    list_select_related = ("block",)
    filter_horizontal = ("successors",)
    ordering = ("block__sort_order", "name")


@admin.register(UnitMembership)
class UnitMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "unit")
    list_filter = ("unit__block",)
    search_fields = ("user__username", "unit__name")
    autocomplete_fields = ("unit",)
    list_select_related = ("user", "unit")
