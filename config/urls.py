from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from partnerships import views as partnership_views
from partnerships import views_two_factor as two_factor_views
from partnerships.forms import AdminSignInForm, SignInForm

# The admin's sign-in refuses an overlong username before django-axes records the attempt.
admin.site.login_form = AdminSignInForm

two_factor_patterns = [
    path("", two_factor_views.manage, name="manage"),
    path("verify/", two_factor_views.verify, name="verify"),
    path("recovery/", two_factor_views.recovery, name="recovery"),
    path("set-up/", two_factor_views.set_up, name="set-up"),
    path("enrol/<str:token>/", two_factor_views.enrol, name="enrol"),
    path("recovery-codes/", two_factor_views.recovery_codes, name="recovery-codes"),
    path("recovery-codes/new/", two_factor_views.new_recovery_codes, name="new-recovery-codes"),
    path("turn-off/", two_factor_views.turn_off, name="turn-off"),
]

urlpatterns = [
    path("", partnership_views.home, name="home"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True, authentication_form=SignInForm
        ),
        name="login",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", include((two_factor_patterns, "two_factor"))),
    path("partnership/", include("partnerships.urls")),
    path("escalations/", include("escalation.urls")),
    path("children/", include("cases.urls")),
    path("dashboard/", include("escalation.dashboard_urls")),
    path("exports/", include("escalation.export_urls")),
    path("retention/", include("escalation.retention_urls")),
    path("admin/", admin.site.urls),
]

# GOV.UK-style error pages (config/errors.py); the CSRF failure page is settings.CSRF_FAILURE_VIEW.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
