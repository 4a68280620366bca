from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from partnerships import views as partnership_views

urlpatterns = [
    path("", partnership_views.home, name="home"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(template_name="registration/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("partnership/", include("partnerships.urls")),
    path("escalations/", include("escalation.urls")),
    path("children/", include("cases.urls")),
    path("dashboard/", include("escalation.dashboard_urls")),
    path("exports/", include("escalation.export_urls")),
    path("retention/", include("escalation.retention_urls")),
    path("admin/", admin.site.urls),
]
