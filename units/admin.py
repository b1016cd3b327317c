from django.contrib import admin

from units.models import Block, Unit, UnitMembership


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "title_phrase", "sort_order")
    ordering = ("sort_order",)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
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
