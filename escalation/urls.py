from django.urls import path

from escalation.views import attachments, detail, documents, drafts, lists, notices, raise_views

app_name = "escalation"
urlpatterns = [
    path("", lists.escalation_list, name="list"),
    path("inbox/", lists.inbox, name="inbox"),
    path("partnership-stage/", lists.partnership_stage_list, name="partnership-list"),
    path("notifications/", notices.notification_list, name="notifications"),
    path("notifications/read/", notices.notifications_mark_read, name="notifications-read"),
    path("notifications/e-mail/", notices.email_preferences, name="notification-preferences"),
    path("notifications/<uuid:public_id>/", notices.notification_open, name="notification-open"),
    path("raise/", raise_views.raise_disagreement, name="raise"),
    path("raise/find-child/", raise_views.find_child, name="find-child"),
    path("raise/add-child/", raise_views.add_child, name="add-child"),
    path("drafts/restore/", drafts.draft_restore, name="draft-restore"),
    path("drafts/<uuid:draft_id>/", drafts.draft_open, name="draft"),
    path("drafts/<uuid:draft_id>/delete/", drafts.draft_delete, name="draft-delete"),
    path("<uuid:public_id>/", detail.detail, name="detail"),
    path("<uuid:public_id>/acknowledge/", detail.acknowledge, name="acknowledge"),
    path("<uuid:public_id>/escalate/", detail.escalate, name="escalate"),
    path("<uuid:public_id>/resolve/", detail.resolve, name="resolve"),
    path("<uuid:public_id>/withdraw/", detail.withdraw, name="withdraw"),
    path("<uuid:public_id>/close/", detail.close, name="close"),
    path("<uuid:public_id>/urgency/", detail.change_urgency, name="urgency"),
    path("<uuid:public_id>/discussions/new/", detail.record_discussion, name="discussion"),
    path("<uuid:public_id>/actions/<uuid:action_id>/", detail.action_status, name="action-status"),
    path("<uuid:public_id>/decision/", detail.record_decision, name="decision"),
    path("<uuid:public_id>/arrange/", detail.arrange_review, name="arrange"),
    path("<uuid:public_id>/route/", detail.take_route, name="route"),
    path("<uuid:public_id>/files/new/", attachments.attach, name="attach"),
    path("<uuid:public_id>/files/<uuid:file_id>/", attachments.download, name="attachment"),
    path("<uuid:public_id>/notice/", documents.escalation_notice, name="notice"),
    path("<uuid:public_id>/resolution-record/", documents.resolution_record, name="resolution-record"),
]
