"""Top-level URLs: the public pages, the JSON API, staff accounts and the staff admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from cchc_portal import idle_sessions, second_factor
from cchc_portal.lockouts import ResetPasswordAndUnlock
from scoring.accounts import reset
from scoring.staff.urls import job_urlpatterns

admin.site.site_header = "Quản trị kết quả CCHC"
admin.site.site_title = "Quản trị CCHC"
admin.site.index_title = "Sở Nội vụ — quản trị dữ liệu"

accounts = [
    path("dang-nhap/", idle_sessions.SignInView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("doi-mat-khau/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("doi-mat-khau/xong/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    # Counted per address and per account, answered alike for every address; the mail goes out from the job queue.
    path("quen-mat-khau/", reset.PasswordResetView.as_view(), name="password_reset"),
    path("quen-mat-khau/da-gui/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "dat-lai-mat-khau/<uidb64>/<token>/",
        ResetPasswordAndUnlock.as_view(success_url=reverse_lazy("password_reset_complete")),
        name="password_reset_confirm",
    ),
    path("xac-thuc-hai-buoc/", second_factor.verify, name="second_factor"),
    path("xac-thuc-hai-buoc/thiet-lap/", second_factor.setup, name="second_factor_setup"),
    path("xac-thuc-hai-buoc/tat/", second_factor.disable, name="second_factor_disable"),
    path("dat-lai-mat-khau/xong/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

urlpatterns = [
    path("quan-tri/", admin.site.urls),
    *accounts,
    path("cham-diem/", include("scoring.staff.urls")),
    # Background jobs (large reports and imports): progress, status, the finished file.
    path("viec/", include(job_urlpatterns)),
    path("", include("reports.urls")),
]

# The database or the object store out of reach: a Vietnamese 503 page instead of the bare 500 (cchc_portal/outages.py).
handler500 = "cchc_portal.outages.server_error"
