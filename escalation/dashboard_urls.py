"""Partnership oversight: dashboard, learning report, audit samples."""

app_name = "dashboard"
urlpatterns = []
