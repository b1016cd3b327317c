"""Excel import and export of blocks and units (django-import-export), used by the admin.

Imports are all or nothing: every row is validated, and one refused row rolls the whole file back.
Codes stay text: an Excel number cell would have lost a code's leading zeros ("012" becomes 12), so
a code typed as a number is refused rather than guessed. Names are stored as `normalize_name` makes
them. Error messages name the value and are keyed by the Vietnamese column header; their row
numbers count data rows, as the admin's error table does (row 1 is the first row under the header).
"""

import contextlib
import re
from io import BytesIO

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets
from import_export.formats import base_formats
from import_export.instance_loaders import CachedInstanceLoader
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from cchc_portal.lib.numbers import vn_number
from cchc_portal.lib.problems import Refused
from cchc_portal.lib.reading import XLSX_KIND, open_table
from cchc_portal.lib.text import text_problem
from cchc_portal.lib.xlsx_write import plain_cell, print_setup
from cchc_portal.uploads import upload_limits
from units.models import Block, Unit, normalize_name

E_WIDE = (
    "Tệp tải lên có {rows} dòng và dòng dài nhất tới {columns} cột: đọc thành bảng là {cells} ô, vượt giới hạn "
    "{limit} ô của một bảng tính nhập vào cổng; hãy xóa các cột thừa ở dòng dài nhất rồi lưu lại."
)
NUMERIC_CODE = _(
    "Mã “%(value)s” đang là ô số trong Excel, nên các số 0 ở đầu mã (nếu có) đã mất. "
    "Hãy định dạng cột mã là Văn bản (Text) rồi nhập lại mã."
)
BAD_CODE = _("Mã “%(value)s” chỉ được gồm chữ cái không dấu, chữ số, dấu gạch ngang (-) và gạch dưới (_).")
MISSING_CODE = _("Thiếu mã.")
DUPLICATE_CODE = _("Mã “%(code)s” đã có ở dòng %(row)s của tệp.")
UNKNOWN_BLOCK = _("Không có khối “%(value)s”. Các mã khối hiện có: %(codes)s.")
UNKNOWN_UNITS = _("Không có đơn vị nào mang mã %(codes)s, trong cơ sở dữ liệu cũng như trong tệp.")
SELF_SUCCESSOR = _("Một đơn vị không thể tự kế thừa chính mình.")
NOT_WHOLE_NUMBER = _("“%(value)s” không phải là một số nguyên.")
YEARS_OUT_OF_ORDER = _("Năm kết thúc (%(last)s) không được trước năm bắt đầu (%(first)s).")
DUPLICATE_NAME = _("Khối “%(block)s” đã có đơn vị tên “%(name)s”.")
ROW_ERROR = _("Dòng %(row)s — %(column)s: %(message)s")
ROW_FAILURE = _("Dòng %(row)s: %(message)s")
GENERAL = _("Chung")

# Django's slug rule, checked here so that the message is Vietnamese and names the value.
CODE_PATTERN = re.compile(r"[-a-zA-Z0-9_]+")


def shown(value) -> str:
    """A cell value as the user typed it: Excel stores 12 as 12.0, which they never wrote."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def code_text(value) -> str:
    """A code cell as text; a number cell is refused, since its leading zeros are already gone."""
    if is_blank(value):
        return ""
    if not isinstance(value, str):
        raise ValueError(str(NUMERIC_CODE % {"value": shown(value)}))
    return value.strip()


def import_errors(result) -> list[str]:
    """Every error of an import result, one line each: failures of the file, failed rows, refused rows.

    The library counts data rows from 1; the messages give the spreadsheet's own row (header = row 1).
    """
    lines = [str(error.error) for error in result.base_errors]
    for number, errors in result.row_errors():
        lines += [str(ROW_FAILURE % {"row": number + 1, "message": error.error}) for error in errors]
    for row in result.invalid_rows:
        for column, messages in row.error_dict.items():
            column = GENERAL if column == NON_FIELD_ERRORS else column
            lines += [str(ROW_ERROR % {"row": row.number + 1, "column": column, "message": m}) for m in messages]
    return lines


class CodeWidget(widgets.CharWidget):
    """A code as stripped text. Lenient: the row check (`code_text`) has already refused numbers."""

    def clean(self, value, row=None, **kwargs):
        return "" if is_blank(value) else shown(value)


class NameWidget(widgets.CharWidget):
    """A name or phrase as stored: NFC, trimmed, inner white space folded."""

    def clean(self, value, row=None, **kwargs):
        return "" if is_blank(value) else normalize_name(shown(value))


class WholeNumberWidget(widgets.IntegerWidget):
    """A year or an order: a whole number, from an Excel number cell (2024 or 2024.0) or digits."""

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            return int(value.strip())
        raise ValueError(str(NOT_WHOLE_NUMBER % {"value": shown(value)}))


class BlockWidget(widgets.CachedForeignKeyWidget):
    """A block by its code; the blocks are read once per import."""

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        try:
            return super().clean(shown(value), row, **kwargs)
        except Block.DoesNotExist:
            codes = ", ".join(Block.objects.values_list("code", flat=True))
            raise ValueError(str(UNKNOWN_BLOCK % {"value": shown(value), "codes": codes})) from None


class CodeListWidget(widgets.ManyToManyWidget):
    """Units by their codes, separated by ";". Unknown codes are refused by the resource, not dropped here."""

    def codes(self, value) -> list[str]:
        if is_blank(value):
            return []
        text = code_text(value)
        return list(dict.fromkeys(code.strip() for code in text.split(self.separator) if code.strip()))

    def clean(self, value, row=None, **kwargs):
        try:
            codes = self.codes(value)
        except ValueError:
            codes = []  # refused, with its message, by UnitResource.import_instance
        return self.model.objects.filter(**{f"{self.field}__in": codes})


class SafeXLSX(base_formats.XLSX):
    """XLSX read within the portal's upload limits, and written with text cells that stay text (a name
    beginning with "=" is written as text, never as a formula)."""

    def create_dataset(self, in_stream):
        """The first sheet as a dataset, read by the bounded reader (Refused when over a limit)."""
        limits = upload_limits()
        table = open_table(BytesIO(in_stream), "tệp tải lên", limits=limits, accept=(XLSX_KIND,))
        rows = [[cell.value for cell in cells] for _number, cells in table.rows()]
        dataset = tablib.Dataset()
        if rows:
            width = max(len(row) for row in rows)
            if len(rows) * width > limits.cells:  # every row is padded to the longest: one wide row widens all
                cells = len(rows) * width
                raise Refused(
                    [
                        E_WIDE.format(
                            rows=vn_number(len(rows)),
                            columns=vn_number(width),
                            cells=vn_number(cells),
                            limit=vn_number(limits.cells),
                        )
                    ]
                )
            dataset.headers = rows[0] + [None] * (width - len(rows[0]))
            for row in rows[1:]:
                dataset.append(row + [None] * (width - len(row)))
        return dataset

    def export_data(self, dataset, **kwargs):
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.freeze_panes = "A2"
        # Wide enough to read each column, and printable on A4 across with the header on every page.
        for column, header in enumerate(dataset.headers, start=1):
            values = [len(shown(row[column - 1])) for row in dataset[:200]]
            width = min(max([len(str(header or "")), *values]) + 2, 48)
            sheet.column_dimensions[get_column_letter(column)].width = width
        print_setup(sheet, landscape=True, title_rows="1:1")
        bold = Font(bold=True)
        sheet.append([plain_cell(sheet, header, font_=bold) for header in dataset.headers])
        for row in dataset:
            sheet.append([plain_cell(sheet, value) for value in row])
        stream = BytesIO()
        workbook.save(stream)
        return stream.getvalue()


class AllOrNothingResource(resources.ModelResource):
    """What both resources share: text codes met once per file, skipped blank rows, all-or-nothing imports."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.code_rows = {}

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=True,
        **kwargs,
    ):
        # One refused row must roll back the rows before it: the default here, not an option to remember.
        return super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=use_transactions,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=rollback_on_validation_errors,
            **kwargs,
        )

    def before_import(self, dataset, **kwargs):
        # Headers typed on another system may be decomposed Unicode ("Khối" as K-h-o-ˆ-´-i) or padded.
        dataset.headers = [normalize_name(h) if isinstance(h, str) else h for h in dataset.headers]
        self.code_rows = {}

    def before_import_row(self, row, **kwargs):
        if all(is_blank(value) for value in row.values()):
            return  # skipped by skip_row
        column = self.fields["code"].column_name
        if column not in row:
            return  # reported once for the file, by the import_id_fields check
        try:
            code = code_text(row[column])
        except ValueError as error:
            raise ValidationError({"code": str(error)}) from None
        if not code:
            raise ValidationError({"code": str(MISSING_CODE)})
        if not CODE_PATTERN.fullmatch(code):
            raise ValidationError({"code": str(BAD_CODE % {"value": code})})
        if code in self.code_rows:
            raise ValidationError({"code": str(DUPLICATE_CODE % {"code": code, "row": self.code_rows[code]})})
        self.code_rows[code] = kwargs.get("row_number")
        row[column] = code

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if all(is_blank(value) for value in row.values()):
            return True  # Excel often keeps empty formatted rows under the table
        return super().skip_row(instance, original, row, import_validation_errors)

    def import_row(self, row, instance_loader, **kwargs):
        row_result = super().import_row(row, instance_loader, **kwargs)
        error = row_result.validation_error
        if error is not None and hasattr(error, "error_dict"):
            # Key the messages by the column the user sees ("Khối"), not by the model field ("block").
            columns = {field.attribute: field.column_name for field in self.fields.values()}
            row_result.validation_error = ValidationError(
                {columns.get(key, key): messages for key, messages in error.error_dict.items()}
            )
        return row_result


class BlockResource(AllOrNothingResource):
    """Blocks by code: an import adds blocks and edits names, title phrases and order."""

    code = fields.Field(attribute="code", column_name="Mã khối", widget=CodeWidget())
    name = fields.Field(attribute="name", column_name="Tên khối", widget=NameWidget())
    title_phrase = fields.Field(attribute="title_phrase", column_name="Cụm từ trong tiêu đề", widget=NameWidget())
    sort_order = fields.Field(attribute="sort_order", column_name="Thứ tự", widget=WholeNumberWidget())

    class Meta:
        model = Block
        fields = ("code", "name", "title_phrase", "sort_order")
        import_order = export_order = fields
        import_id_fields = ["code"]
        instance_loader_class = CachedInstanceLoader
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def filter_export(self, queryset, **kwargs):
        return queryset if queryset.query.order_by else queryset.order_by(*Block._meta.ordering)


class UnitResource(AllOrNothingResource):
    """Units by code, with their block by code and their successors as codes separated by ";".

    A successor may be a unit further down the same file: its link is made once every row is saved.
    """

    code = fields.Field(attribute="code", column_name="Mã đơn vị", widget=CodeWidget())
    name = fields.Field(attribute="name", column_name="Tên đơn vị", widget=NameWidget())
    short_name = fields.Field(attribute="short_name", column_name="Tên viết tắt", widget=NameWidget())
    block = fields.Field(attribute="block", column_name="Khối", widget=BlockWidget(Block, field="code"))
    first_year = fields.Field(attribute="first_year", column_name="Năm bắt đầu", widget=WholeNumberWidget())
    last_year = fields.Field(attribute="last_year", column_name="Năm kết thúc", widget=WholeNumberWidget())
    successors = fields.Field(
        attribute="successors",
        column_name="Đơn vị kế thừa",
        widget=CodeListWidget(Unit, field="code", separator=";"),
    )

    class Meta:
        model = Unit
        fields = ("code", "name", "short_name", "block", "first_year", "last_year", "successors")
        import_order = export_order = fields
        import_id_fields = ["code"]
        instance_loader_class = CachedInstanceLoader
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.known_codes = set()
        self.pending_successors = []

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        column = self.fields["code"].column_name
        in_file = set()
        if column in (dataset.headers or []):
            for value in dataset[column]:
                with contextlib.suppress(ValueError):  # refused with its row
                    in_file.add(code_text(value))
        self.known_codes = set(Unit.objects.values_list("code", flat=True)) | in_file
        self.pending_successors = []

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        field = self.fields["successors"]
        if field.column_name in row:
            try:
                codes = field.widget.codes(row[field.column_name])
            except ValueError as error:
                errors["successors"] = [str(error)]
            else:
                unknown = [code for code in codes if code not in self.known_codes]
                if unknown:
                    errors["successors"] = [str(UNKNOWN_UNITS % {"codes": ", ".join(f"“{c}”" for c in unknown)})]
                elif instance.code in codes:
                    errors["successors"] = [str(SELF_SUCCESSOR)]
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        first, last = instance.first_year, instance.last_year
        if first is not None and last is not None and last < first and not {"first_year", "last_year"} & set(errors):
            errors["last_year"] = [str(YEARS_OUT_OF_ORDER % {"first": first, "last": last})]
        problem = text_problem(instance.name or "")
        if problem is not None and "name" not in errors:
            errors["name"] = [problem.message]  # before any query holds it: PostgreSQL refuses NUL outright
        if instance.block_id and instance.name and not {"block", "name"} & set(errors):
            taken = Unit.objects.filter(block_id=instance.block_id, name=instance.name).exclude(pk=instance.pk)
            if taken.exists():
                errors["name"] = [str(DUPLICATE_NAME % {"block": instance.block.name, "name": instance.name})]
        # full_clean() leaves out the fields that already have an error, and the constraints on them.
        super().validate_instance(instance, errors, validate_unique)

    def save_m2m(self, instance, row, **kwargs):
        field = self.fields["successors"]
        if field.column_name not in row:
            return
        if not self._is_using_transactions(kwargs) and self._is_dry_run(kwargs):
            return
        codes = field.widget.codes(row[field.column_name])
        found = list(Unit.objects.filter(code__in=codes))
        if len(found) == len(codes):
            instance.successors.set(found)
        else:
            self.pending_successors.append((instance, codes))  # a unit further down the file

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        failed = result.has_errors() or result.has_validation_errors()
        for instance, codes in self.pending_successors:
            found = list(Unit.objects.filter(code__in=codes))
            missing = sorted(set(codes) - {unit.code for unit in found})
            if not missing:
                instance.successors.set(found)
            elif not failed:
                raise ValueError(str(UNKNOWN_UNITS % {"codes": ", ".join(f"“{c}”" for c in missing)}))
            # else the unit it waited for is on a refused row, already reported

    def filter_export(self, queryset, **kwargs):
        if not queryset.query.order_by:
            queryset = queryset.order_by(*Unit._meta.ordering)
        return queryset.select_related("block").prefetch_related("successors")
