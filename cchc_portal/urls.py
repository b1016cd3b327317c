"""Top-level URLs: the public pages, the JSON API and the staff admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

admin.site.site_header = "Quản trị kết quả CCHC"
admin.site.site_title = "Quản trị CCHC"
admin.site.index_title = "Sở Nội vụ — quản trị dữ liệu"

urlpatterns = [
    path("quan-tri/", admin.site.urls),
    path("dang-nhap/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("cham-diem/", include("scoring.urls")),
    path("", include("reports.urls")),
]
