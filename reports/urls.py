from django.urls import path

import cchc_portal.converters  # noqa: F401 - registers the "id" and "year" converters
from reports import api, views

app_name = "reports"

urlpatterns = [
    path("", views.home, name="home"),
    path("tong-quan/", views.overview, name="overview"),
    path("phuong-phap/", views.methodology, name="methodology"),
    path("chi-so-quoc-gia/", views.indices, name="indices"),
    path("tim-kiem/", views.search, name="search"),
    path("du-lieu-mo/", api.guide, name="open_data"),
    path("xep-hang/<year:year>/<slug:block>/", views.ranking, name="ranking"),
    path("xep-hang/so-sanh/<slug:block>/", views.comparison, name="comparison"),
    path("xep-hang/so-sanh/<slug:block>.xlsx", views.comparison_xlsx, name="comparison_xlsx"),
    path("xep-hang/<year:year>/<slug:block>.xlsx", views.ranking_xlsx, name="ranking_xlsx"),
    path("xep-hang/<year:year>/<slug:block>.csv", views.ranking_csv, name="ranking_csv"),
    path("tieu-chi/<year:year>/<slug:block>/<criterion:code>/", views.criterion, name="criterion"),
    path("xep-hang/<year:year>/<slug:block>/lan-<id:number>/", views.ranking_version, name="ranking_version"),
    path("don-vi/<slug:code>/", views.unit_history, name="unit_history"),
    path("api/v1/", api.index, name="api_index"),
    path("api/v1/schema/", api.schema, name="api_schema"),
    path("api/v1/periods/", api.periods, name="api_periods"),
    path("api/v1/results/<year:year>/<slug:block>/", api.results_api, name="results_api"),
    path("api/v1/units/<slug:code>/", api.unit, name="api_unit"),
    path("api/v1/criteria/<year:year>/<slug:block>/", api.criterion_scores, name="api_criteria"),
    path("api/v1/<path:rest>", api.missing, name="api_missing"),
]
