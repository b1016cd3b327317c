"""The portal's URLs and `/bench-trivial/`: the least a request through the same middleware can cost."""

from django.http import HttpResponse
from django.urls import path

from cchc_portal.urls import urlpatterns as portal


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench-trivial/", trivial), *portal]
