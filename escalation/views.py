from django.core.paginator import Paginator
from django.shortcuts import render

from escalation.selectors import escalations_visible_to


def escalation_list(request):
    escalations = (
        escalations_visible_to(request.user)
        .select_related("raising_agency", "receiving_agency", "policy")
        .order_by("-raised_at")
    )
    page = Paginator(escalations, 25).get_page(request.GET.get("page"))
    return render(request, "escalation/list.html", {"page": page})
