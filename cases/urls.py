from django.urls import path

from cases import views

app_name = "cases"
urlpatterns = [path("<uuid:public_id>/", views.child_file, name="child-file")]
