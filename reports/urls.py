from django.urls import path

import cchc_portal.converters  # noqa: F401 - registers the "id" and "year" converters
from reports import views, views_reports

app_name = "reports"

urlpatterns = [
    path("", views.home, name="home"),
    path("xep-hang/<year:year>/<slug:block>/", views.ranking, name="ranking"),
    path("xep-hang/so-sanh/<slug:block>.xlsx", views_reports.comparison_xlsx, name="comparison_xlsx"),
    path("xep-hang/<year:year>/<slug:block>.xlsx", views.ranking_xlsx, name="ranking_xlsx"),
    path("xep-hang/<year:year>/<slug:block>/lan-<id:number>/", views.ranking_version, name="ranking_version"),
    path("don-vi/<slug:code>/", views.unit_history, name="unit_history"),
    path("api/v1/results/<year:year>/<slug:block>/", views.results_api, name="results_api"),
    # Sở Nội vụ's report of a period in any status (staff only), beside the period's other staff pages.
    path("cham-diem/ky/<id:pk>/bao-cao-chi-tiet.xlsx", views_reports.detailed_report, name="detailed_report"),
]
