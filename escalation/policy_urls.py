from django.urls import path

from escalation.views import policy

app_name = "policy"
urlpatterns = [
    path("", policy.policy_home, name="home"),
    path("<slug:slug>/", policy.show, name="show"),
    path("<slug:slug>/versions/<int:version>/", policy.show_version, name="version"),
    path("<slug:slug>/draft/start/", policy.start, name="start"),
    path("<slug:slug>/draft/", policy.draft, name="draft"),
    path("<slug:slug>/draft/details/", policy.edit_settings, name="settings"),
    path("<slug:slug>/draft/stages/add/", policy.add_stage, name="add-stage"),
    path("<slug:slug>/draft/stages/<int:number>/", policy.edit_stage, name="stage"),
    path("<slug:slug>/draft/stages/<int:number>/remove/", policy.remove_stage, name="remove-stage"),
    path("<slug:slug>/draft/calendar/", policy.edit_calendar, name="calendar"),
    path("<slug:slug>/draft/signposts/", policy.edit_signposts, name="signposts"),
    path("<slug:slug>/draft/preview/", policy.preview, name="preview"),
    path("<slug:slug>/draft/publish/", policy.publish, name="publish"),
    path("<slug:slug>/draft/discard/", policy.discard, name="discard"),
]
