from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from escalation.views import health
from escalation.views.home import home
from partnerships import session_timeout
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
    path("", home, name="home"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True, authentication_form=SignInForm
        ),
        name="login",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("session/stay-signed-in/", session_timeout.stay_signed_in, name="stay-signed-in"),
    path("two-factor/", include((two_factor_patterns, "two_factor"))),
    path("partnership/", include("partnerships.urls")),
    path("policy/", include("escalation.policy_urls")),
    path("escalations/", include("escalation.urls")),
    path("children/", include("escalation.child_urls")),
    path("dashboard/", include("escalation.dashboard_urls")),
    path("exports/", include("escalation.export_urls")),
    path("retention/", include("escalation.retention_urls")),
    path("admin/", admin.site.urls),
    path("health/", health.health, name="health"),
]

# GOV.UK-style error pages (config/errors.py); the CSRF failure page is settings.CSRF_FAILURE_VIEW.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
