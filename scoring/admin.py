from django.contrib import admin

from scoring.models import CriteriaSet, Criterion, GradeBand, GradeScheme, Period, Result, Score


class CriterionInline(admin.TabularInline):
    model = Criterion
    fields = ("position", "code", "title", "parent", "max_points", "method")
    ordering = ("position",)
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        # The parent list offers only this set's nodes, loaded once for every row.
        formset = super().get_formset(request, obj, **kwargs)
        queryset = Criterion.objects.filter(criteria_set=obj) if obj else Criterion.objects.none()
        formset.form.base_fields["parent"].queryset = queryset
        return formset


@admin.register(CriteriaSet)
class CriteriaSetAdmin(admin.ModelAdmin):
    list_display = ("name", "year", "block", "total_points")
    list_filter = ("block", "year")
    inlines = [CriterionInline]


class GradeBandInline(admin.TabularInline):
    model = GradeBand
    extra = 0


@admin.register(GradeScheme)
class GradeSchemeAdmin(admin.ModelAdmin):
    list_display = ("name", "is_default")
    inlines = [GradeBandInline]


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ("year", "block", "status", "decision_number", "decision_date", "is_partial", "is_demo")
    list_filter = ("status", "block", "year", "is_demo")
    list_select_related = ("block",)


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
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
    autocomplete_fields = ("unit",)
    raw_id_fields = ("criterion",)

    @admin.display(description="Tiêu chí", ordering="criterion__position")
    def criterion_code(self, obj):
        return obj.criterion.code


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    """Published snapshots: read-only here; they change only by publishing or importing."""

    list_display = ("period", "position", "unit", "total", "grade", "rank")
    list_filter = ("period__year", "period__block")
    search_fields = ("unit__name",)
    list_select_related = ("period__block", "unit")
    ordering = ("-period__year", "period__block__sort_order", "position")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
