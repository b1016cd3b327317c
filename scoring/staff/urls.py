from django.urls import path

import cchc_portal.converters  # noqa: F401 - registers the "id" and "year" converters
from scoring.staff import accounts, corrections, imports, jobs, reports, views

app_name = "scoring"

urlpatterns = [
    path("", views.work_list, name="work_list"),
    path("con-phien/", views.session_alive, name="session_alive"),
    path("ky/<id:pk>/", views.dashboard, name="dashboard"),
    path("ky/<id:pk>/chuyen-trang-thai/", views.period_move, name="period_move"),
    path("ky/<id:pk>/nhat-ky.xlsx", views.audit_export, name="audit_export"),
    # The report of a period in any status (staff only), beside the period's other staff pages.
    path("ky/<id:pk>/bao-cao-chi-tiet.xlsx", reports.detailed_report, name="detailed_report"),
    path("ky/<id:pk>/phan-cong/", views.assignment_add, name="assignment_add"),
    path("ky/<id:pk>/phan-cong/<id:assignment_id>/bo/", views.assignment_remove, name="assignment_remove"),
    path("ky/<id:pk>/dinh-chinh/", corrections.correction, name="correction"),
    path("ky/<id:pk>/don-vi/<slug:code>/", views.entry, name="entry"),
    path("ky/<id:pk>/don-vi/<slug:code>/minh-chung/<id:criterion_id>/", views.evidence, name="evidence"),
    path("minh-chung/<id:pk>/tai-ve/", views.evidence_download, name="evidence_download"),
    path("minh-chung/<id:pk>/go/", views.evidence_withdraw, name="evidence_withdraw"),
    # Unit staff accounts, managed by Sở Nội vụ.
    path("tai-khoan/", accounts.unit_accounts_page, name="unit_accounts"),
    path("tai-khoan/<id:user_id>/khoa/", accounts.unit_account_deactivate, name="unit_account_deactivate"),
    path("tai-khoan/<id:user_id>/mo-lai/", accounts.unit_account_activate, name="unit_account_activate"),
    path("tai-khoan/<id:user_id>/gui-lai-thu/", accounts.unit_account_invite_again, name="unit_account_invite"),
    # Files coming in: criteria sets and score sheets.
    path("bo-tieu-chi/nhap/", imports.criteria_import_page, name="criteria_import"),
    path("bo-tieu-chi/mau.xlsx", imports.criteria_template_download, name="criteria_template"),
    path("ky/<id:pk>/mau-nhap-<slug:kind>.xlsx", imports.score_template, name="score_template"),
    path("ky/<id:pk>/nhap-diem/<slug:kind>/", imports.score_import_page, name="score_import"),
    path("ky/<id:pk>/nhap-diem/<slug:kind>/loi.xlsx", imports.score_import_errors, name="score_import_errors"),
]

# Background jobs (large reports and imports): progress, status, the finished file; mounted at /viec/ without a
# namespace (cchc_portal/urls.py).
job_urlpatterns = [
    path("<uuid:pk>/", jobs.job_page, name="job"),
    path("<uuid:pk>/tinh-trang/", jobs.job_status, name="job_status"),
    path("<uuid:pk>/tai-ve/", jobs.job_download, name="job_download"),
]
