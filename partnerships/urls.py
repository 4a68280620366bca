from django.urls import path

from partnerships import views

app_name = "partnerships"
urlpatterns = [
    path("deadline-calculator/", views.deadline_calculator, name="deadline-calculator"),
]
