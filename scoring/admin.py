"""The staff admin: reference data is edited here; scores, results and the log are read-only here.

Points change only through the entry pages and imports (which check roles, states and record the
audit trail); anything of a published or locked period is read-only everywhere.
"""

from decimal import Decimal

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html

from cchc_portal.admin_labels import LabelledAdmin, LabelledInline
from scoring.models import (
    PUBLIC_STATUSES,
    AppraiserAssignment,
    AuditEntry,
    CriteriaSet,
    Criterion,
    Evidence,
    GradeBand,
    GradeScheme,
    NationalIndex,
    Period,
    Result,
    ResultVersion,
    Score,
    Submission,
)
from scoring.tree import CriterionRow, in_order, parent, tree_problems


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable by staff with the view permission; never added, changed or deleted through the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _set_is_published(criteria_set) -> bool:
    return criteria_set is not None and criteria_set.periods.filter(status__in=PUBLIC_STATUSES).exists()


class CriteriaFormSet(BaseInlineFormSet):
    """The whole tree as one form, checked by the importer's rules (`scoring.tree.tree_problems`): the admin
    refuses exactly the trees a workbook import refuses. A node's parent is the code before its last dot, as
    in a workbook, so there is no parent to pick (and none to pick wrongly)."""

    def clean(self):
        super().clean()
        kept = [
            f
            for f in self.forms
            if f.has_changed() or f.instance.pk
            if not self._should_delete_form(f) and not f.errors
        ]
        if any(f.errors for f in self.forms):
            return
        kept.sort(key=lambda f: (f.cleaned_data.get("position") or 0, self.forms.index(f)))
        rows = [
            CriterionRow(
                number,
                f.cleaned_data.get("code"),
                f.cleaned_data.get("title", ""),
                f.cleaned_data.get("max_points"),
                f.cleaned_data.get("method"),
            )
            for number, f in enumerate(kept, start=1)
        ]
        total = self.instance.total_points if self.instance.total_points is not None else Decimal(100)
        problems = tree_problems(rows, total, _admin_place) if rows else []
        if problems:
            raise ValidationError([str(p) for p in in_order(problems)])

    def save(self, commit=True):
        saved = super().save(commit)
        if commit:
            link_parents(self.instance)
        return saved


def _admin_place(row: int, field: str) -> dict:
    labels = {"code": "mã", "max_points": "điểm tối đa", "method": "cách chấm"}
    return {"row": row or None, "label": labels.get(field, field)}


def link_parents(criteria_set) -> None:
    """Give every node of the set the parent its code names (3.2.1 → 3.2)."""
    nodes = list(Criterion.objects.filter(criteria_set=criteria_set))
    by_code = {n.code: n for n in nodes}
    changed = []
    for node in nodes:
        up = by_code.get(parent(node.code))
        if node.parent_id != (up.pk if up else None):
            node.parent = up
            changed.append(node)
    Criterion.objects.bulk_update(changed, ["parent"])


class CriterionInline(LabelledInline, admin.TabularInline):
    model = Criterion
    formset = CriteriaFormSet
    fields = ("position", "code", "title", "max_points", "method")
    ordering = ("position",)
    extra = 0

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not _set_is_published(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _set_is_published(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _set_is_published(obj)


@admin.register(CriteriaSet)
class CriteriaSetAdmin(LabelledAdmin, admin.ModelAdmin):
    list_display = ("name", "year", "block", "total_points")
    list_filter = ("block", "year")
    list_select_related = ("block",)
    inlines = [CriterionInline]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _set_is_published(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _set_is_published(obj)


class GradeBandInline(LabelledInline, admin.TabularInline):
    model = GradeBand
    extra = 0


@admin.register(GradeScheme)
class GradeSchemeAdmin(LabelledAdmin, admin.ModelAdmin):
    list_display = ("name", "is_default")
    inlines = [GradeBandInline]


class AssignmentInline(LabelledInline, admin.TabularInline):
    model = AppraiserAssignment
    extra = 0
    autocomplete_fields = ("unit",)


@admin.register(Period)
class PeriodAdmin(LabelledAdmin, admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("year", "block", "status", "grade_scheme", "tie_rule", "basis", "decision_number", "is_partial")
    list_filter = ("status", "block", "year", "is_demo")
    readonly_fields = ("status", "decision_number", "decision_date", "signer")
    inlines = [AssignmentInline]

    def get_queryset(self, request):
        # The manager already selects the block, so the changelist would skip list_select_related.
        return super().get_queryset(request).select_related("grade_scheme")

    def get_readonly_fields(self, request, obj=None):
        # The demonstration flag is chosen once, when the period is made; the database refuses a change too.
        return (*self.readonly_fields, "is_demo") if obj is not None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        # Status moves happen on the dashboard (checked and recorded); a public period is frozen.
        return super().has_change_permission(request, obj) and not (obj and obj.status in PUBLIC_STATUSES)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.status in PUBLIC_STATUSES)


@admin.register(Score)
class ScoreAdmin(ReadOnlyAdmin):
    list_display = ("period", "unit", "criterion_code", "self_points", "appraised_points", "not_applicable")
    list_filter = (
        "period__year",
        "unit__block",
        "period",
        ("unit", admin.RelatedOnlyFieldListFilter),
        "not_applicable",
    )
    search_fields = ("unit__name", "criterion__code", "criterion__title")
    list_select_related = ("period__block", "unit", "criterion")

    @admin.display(description="Tiêu chí", ordering="criterion__position")
    def criterion_code(self, obj):
        return obj.criterion.code


@admin.register(Result)
class ResultAdmin(ReadOnlyAdmin):
    """Published snapshots: they change only by publishing or by a correction (a new version)."""

    list_display = ("period", "version_number", "position", "unit", "total", "grade", "rank")
    list_filter = ("period__year", "period__block", "version__is_current")
    search_fields = ("unit__name",)
    list_select_related = ("period__block", "unit", "version")
    ordering = ("-period__year", "period__block__sort_order", "version__number", "position")

    @admin.display(description="Lần công bố", ordering="version__number")
    def version_number(self, obj):
        return obj.version.number


@admin.register(ResultVersion)
class ResultVersionAdmin(ReadOnlyAdmin):
    list_display = ("period", "number", "is_current", "decision_number", "published_at", "reason")
    list_select_related = ("period__block",)


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ("period", "unit", "status", "submitted_at", "updated_at")
    list_filter = ("status", "period")
    list_select_related = ("period__block", "unit")


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ("score", "original_name", "link", "kind", "size", "uploaded_by", "uploaded_at", "removed")
    list_select_related = ("score__unit", "score__criterion", "uploaded_by")
    # The file is offered through the portal's download, which checks who may see it; the field itself would
    # show the storage's own address (a signed link to the bucket on object storage).
    exclude = ("file",)
    readonly_fields = ("download",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="Tệp")
    def download(self, obj):
        if not obj.file:
            return "—"
        url = reverse("scoring:evidence_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "by", "period", "unit", "criterion", "action", "old", "new", "reason")
    list_filter = ("action", "period")
    search_fields = ("unit__name", "criterion__code", "reason")
    list_select_related = ("by", "period__block", "unit", "criterion")


@admin.register(NationalIndex)
class NationalIndexAdmin(LabelledAdmin, admin.ModelAdmin):
    """The province's standing in PAR INDEX, SIPAS, PAPI, PCI…, with the source of each figure (shown on the
    public page "Chỉ số quốc gia")."""

    list_display = ("kind", "year", "rank", "out_of", "score", "source_publisher", "source_date")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_filter = ("kind",)
    ordering = ("kind", "-year")
    fieldsets = (
        (None, {"fields": ("kind", "year", "rank", "out_of", "score", "note")}),
        ("Nguồn", {"fields": ("source_title", "source_publisher", "source_date", "source_url")}),
    )
