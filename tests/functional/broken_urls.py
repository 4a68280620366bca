"""The project's URLs plus one that fails, to see the 500 page through the whole stack."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from config import urls


@login_not_required
def broken(request):
    raise RuntimeError("internal detail that must not reach the page")


urlpatterns = [*urls.urlpatterns, path("broken/", broken)]
handler400 = urls.handler400
handler403 = urls.handler403
handler404 = urls.handler404
handler500 = urls.handler500
