from django.urls import path

from scoring import views
from scoring.imports import views as imports

app_name = "scoring"

urlpatterns = [
    path("", views.work_list, name="work_list"),
    path("ky/<int:pk>/", views.dashboard, name="dashboard"),
    path("ky/<int:pk>/chuyen-trang-thai/", views.period_move, name="period_move"),
    path("ky/<int:pk>/nhat-ky.xlsx", views.audit_export, name="audit_export"),
    path("ky/<int:pk>/phan-cong/", views.assignment_add, name="assignment_add"),
    path("ky/<int:pk>/phan-cong/<int:assignment_id>/bo/", views.assignment_remove, name="assignment_remove"),
    path("ky/<int:pk>/don-vi/<slug:code>/", views.entry, name="entry"),
    path("ky/<int:pk>/don-vi/<slug:code>/minh-chung/<int:criterion_id>/", views.evidence, name="evidence"),
    path("minh-chung/<int:pk>/tai-ve/", views.evidence_download, name="evidence_download"),
    path("minh-chung/<int:pk>/go/", views.evidence_withdraw, name="evidence_withdraw"),
    # Files coming in: criteria sets and score sheets.
    path("bo-tieu-chi/nhap/", imports.criteria_import_page, name="criteria_import"),
    path("ky/<int:pk>/mau-nhap-<slug:kind>.xlsx", imports.score_template, name="score_template"),
    path("ky/<int:pk>/nhap-diem/<slug:kind>/", imports.score_import_page, name="score_import"),
    path("ky/<int:pk>/nhap-diem/<slug:kind>/loi.xlsx", imports.score_import_errors, name="score_import_errors"),
]
