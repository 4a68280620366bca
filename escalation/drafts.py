"""Drafts: a half-written disagreement or discussion record, kept for its author alone.

Kept when the author presses "Save as draft", and when a form arrives after their session
timed out (KeepTypedWorkMiddleware below keeps it over the sign-in and `restore_timed_out`
turns it into a draft of whoever signs in, only if that is the person who was typing).
A draft is nobody's record: it never reaches a child's file, an export, the dashboard or the
admin, other people get 404 for it, and it is deleted DRAFT_DAYS after it was last saved
(`delete_old_drafts`, run by the deadline watcher's tick). Files are not kept in a draft:
they are attached to the case once it exists (escalation.attachments).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone

DRAFT_DAYS = 30
OWNER_SALT = "escalation.drafts.owner"
# The page that wrote the signed owner must have been served within this long.
OWNER_MAX_AGE = timedelta(days=1)
TIMED_OUT_KEY = "timed_out_draft"
# Form fields that are the page's machinery, not what the person typed.
NOT_TYPED = {"csrfmiddlewaretoken", "draft", "draft_owner", "save_draft", "submit", "seen_state", "seen_stage"}
MAX_FIELDS = 60
MAX_CHARACTERS = 100_000


class DraftKind(models.TextChoices):
    RAISE = "raise", "Disagreement"
    DISCUSSION = "discussion", "Discussion record"


class Draft(models.Model):
    """What was typed, as the form posted it ({field: [values]}); shown only to its author."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts")
    kind = models.CharField(max_length=20, choices=DraftKind.choices)
    # The case a discussion draft is about (none for a disagreement not yet raised).
    escalation = models.ForeignKey(
        "escalation.Escalation", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="raise", escalation__isnull=True)
                | models.Q(kind="discussion", escalation__isnull=False),
                name="draft_discussion_names_its_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} draft {self.public_id}"

    def initial(self) -> dict:
        """The form's initial values: one value per field, a list where the form takes several."""
        return {key: values if key == "children" else values[0] for key, values in self.data.items() if values}

    def children_ids(self) -> list[str]:
        return list(self.data.get("children", []))[:10]

    def resume_url(self) -> str:
        if self.kind == DraftKind.DISCUSSION:
            return reverse("escalation:discussion", args=[self.escalation.public_id]) + f"?draft={self.public_id}"
        return reverse("escalation:raise") + f"?draft={self.public_id}"

    def deleted_on(self):
        return timezone.localtime(self.updated_at + timedelta(days=DRAFT_DAYS)).date()

    def summary(self) -> str:
        """A line to recognise it by: the start of what was typed."""
        text = (self.initial().get("concern") or self.initial().get("outcome") or "").strip()
        return text[:80] + ("…" if len(text) > 80 else "")


# --- services ----------------------------------------------------------------------------------


def typed(post) -> dict[str, list[str]]:
    """What the person typed, from a POST (QueryDict), without the page's machinery; bounded."""
    data, total = {}, 0
    for key, values in post.lists():
        if key in NOT_TYPED or len(data) >= MAX_FIELDS:
            continue
        kept = [v for v in values if isinstance(v, str)][:10]
        total += sum(len(v) for v in kept)
        if total > MAX_CHARACTERS:
            break
        data[key[:100]] = kept
    return data


def draft_save(*, author, kind: DraftKind, data: dict, escalation=None, draft: Draft | None = None) -> Draft:
    """Create the author's draft or update the one they are working on."""
    if draft is not None:
        draft.data = data
        draft.save(update_fields=["data", "updated_at"])
        return draft
    return Draft.objects.create(author=author, kind=kind, escalation=escalation, data=data)


def drafts_of(user):
    """The user's own drafts, newest first: nobody else's, ever."""
    if not getattr(user, "is_authenticated", False):
        return Draft.objects.none()
    return Draft.objects.filter(author=user).select_related("escalation")


def home_context(user) -> dict:
    """For the home page's "Your drafts" (templates/escalation/_drafts.html)."""
    return {"drafts": list(drafts_of(user)[:20]), "draft_days": DRAFT_DAYS}


def delete_old_drafts(*, now=None) -> int:
    """Drafts last saved more than DRAFT_DAYS ago are deleted (run by the watcher's tick)."""
    cutoff = (now or timezone.now()) - timedelta(days=DRAFT_DAYS)
    deleted, _ = Draft.objects.filter(updated_at__lt=cutoff).delete()
    return deleted


def discard(draft: Draft | None) -> None:
    """The form was sent for real: its draft has done its job."""
    if draft is not None and draft.pk:
        draft.delete()


# --- the pages' side ---------------------------------------------------------------------------


def owner_token(user) -> str:
    """Signed on the form: a form posted after a time-out is kept only for the person who typed it."""
    return signing.dumps(user.pk, salt=OWNER_SALT)


def owner_from_token(token: str | None) -> int | None:
    try:
        return int(signing.loads(token or "", salt=OWNER_SALT, max_age=OWNER_MAX_AGE))
    except (signing.BadSignature, TypeError, ValueError):
        return None


def form_context(request, draft: Draft | None) -> dict:
    """What templates/escalation/_draft_fields.html needs."""
    return {"draft": draft, "draft_owner": owner_token(request.user), "keeps_drafts": True}


def draft_in_request(request, kind: DraftKind, escalation=None) -> Draft | None:
    """The author's draft named by ?draft= (or the form's draft field); 404 for anyone else's."""
    value = request.POST.get("draft") or request.GET.get("draft")
    if not value:
        return None
    public_id = _uuid(value)
    if public_id is None:
        raise Http404("No such draft")
    return get_object_or_404(drafts_of(request.user).filter(kind=kind, escalation=escalation), public_id=public_id)


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def keep_and_go_home(request, kind: DraftKind, *, draft: Draft | None, escalation=None):
    """For "Save as draft": keep what was typed, however incomplete, and say where to find it."""
    draft = draft_save(author=request.user, kind=kind, data=typed(request.POST), escalation=escalation, draft=draft)
    messages.success(
        request,
        f"Your draft is saved. It is on your home page, where only you can see it, until "
        f"{draft.deleted_on().day} {draft.deleted_on():%B %Y}.",
    )
    return redirect("home")


# --- a form posted after the session timed out --------------------------------------------------

DRAFTABLE_PAGES = {"escalation:raise": DraftKind.RAISE, "escalation:discussion": DraftKind.DISCUSSION}


class KeepTypedWorkMiddleware:
    """A disagreement or discussion form posted after its author's session timed out is kept
    over the sign-in (in the new, anonymous session) instead of being lost to the sign-in page.

    Install after CsrfViewMiddleware (a forged post is refused first) and before
    LoginRequiredMiddleware (which would otherwise send the post away to sign in).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.user.is_authenticated:
            return None
        kind = DRAFTABLE_PAGES.get(getattr(request.resolver_match, "view_name", ""))
        owner = owner_from_token(request.POST.get("draft_owner"))
        if kind is None or owner is None:
            return None
        public_id = view_kwargs.get("public_id")
        request.session[TIMED_OUT_KEY] = {
            "kind": kind.value,
            "owner": owner,
            "escalation": str(public_id) if public_id else None,
            "draft": request.POST.get("draft", ""),
            "data": typed(request.POST),
        }
        from partnerships.session_timeout import idle_in_words

        messages.info(
            request,
            f"You were signed out because you had not done anything for {idle_in_words(settings.SESSION_COOKIE_AGE)}. "
            "What you typed has been kept: sign in again to return to it.",
        )
        return redirect_to_login(reverse("escalation:draft-restore"))


def restore_timed_out(request):
    """After signing in again: the kept form becomes the person's draft, and they return to it.
    Kept only for the person who was typing it; anyone else signing in on that browser gets nothing."""
    from escalation.selectors import escalations_visible_to

    kept = request.session.pop(TIMED_OUT_KEY, None)
    if not kept or kept.get("owner") != request.user.pk:
        return redirect("home")
    kind = DraftKind(kept["kind"])
    escalation = None
    if kind == DraftKind.DISCUSSION:
        escalation = escalations_visible_to(request.user).filter(public_id=kept["escalation"]).first()
        if escalation is None:
            return redirect("home")
    resumed = _uuid(kept.get("draft"))
    mine = drafts_of(request.user).filter(kind=kind, escalation=escalation)
    draft = mine.filter(public_id=resumed).first() if resumed else None
    draft = draft_save(author=request.user, kind=kind, data=kept["data"], escalation=escalation, draft=draft)
    messages.success(request, "What you typed before you were signed out is kept as a draft. Check it and carry on.")
    return redirect(draft.resume_url())
