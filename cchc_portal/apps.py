"""The names the admin shows for two libraries' sections, in Vietnamese (the libraries name them in English)."""

from axes.apps import AppConfig as AxesConfig
from django_rq.apps import DjangoRqAdminConfig


class LoginAttemptsConfig(AxesConfig):
    """django-axes: failed logins and lockouts."""

    verbose_name = "Đăng nhập và khóa tài khoản"


class JobQueueConfig(DjangoRqAdminConfig):
    """django-rq: the queue of background jobs."""

    verbose_name = "Hàng đợi việc chạy nền"
