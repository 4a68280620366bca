// The idle time-out warning (WCAG 2.2.1, "Timing adjustable"), after the GOV.UK pattern.
//
// The server ends a session after data-idle-seconds without a request; it renews the session at
// most once a minute, so when this page was served data-seconds-left remained. data-warning-seconds
// before that, this opens a modal dialog (focus moves into it and it is announced) offering to
// stay signed in (a POST that renews the session; Escape does the same) or to sign out. When
// time runs out, a form that keeps drafts (data-keeps-drafts) is posted as a draft (the server
// keeps it for whoever signs in next as its author); otherwise the page goes to the sign-in page.
// The script makes no other request, so an open page never keeps anyone signed in by itself.
// Other tabs of the same site share the time of the last request through localStorage.
const dialog = document.querySelector("[data-module='app-session-timeout']");

if (dialog && typeof dialog.showModal === "function") {
  const idleMs = Number(dialog.dataset.idleSeconds) * 1000;
  const warningMs = Number(dialog.dataset.warningSeconds) * 1000;
  // Time runs out on the server a moment after this page was served; never act before it.
  const MARGIN_MS = 1500;
  const STORAGE_KEY = "app-session-last-request";
  const countdown = dialog.querySelector(".app-timeout-dialog__countdown");
  const spoken = dialog.querySelector(".app-timeout-dialog__spoken");
  const announcement = dialog.querySelector("[data-role='timeout-announcement']");
  const stayButton = dialog.querySelector("[data-role='stay-signed-in']");
  const token = dialog.querySelector("input[name='csrfmiddlewaretoken']").value;
  const leftMs = Number(dialog.dataset.secondsLeft ?? dialog.dataset.idleSeconds) * 1000;
  // When the server last renewed the session, by this browser's clock (the time all tabs share).
  let lastRequest = Date.now() - Math.max(0, idleMs - leftMs);
  let timers = [];
  let ticker = null;
  let returnFocusTo = null;

  const remember = (at) => {
    lastRequest = Math.max(lastRequest, at);
    try {
      window.localStorage.setItem(STORAGE_KEY, String(lastRequest));
    } catch (error) {
      // Storage switched off: this tab still times itself.
    }
  };
  const latestRequest = () => {
    try {
      return Math.max(lastRequest, Number(window.localStorage.getItem(STORAGE_KEY)) || 0);
    } catch (error) {
      return lastRequest;
    }
  };
  const inWords = (ms) => {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    if (seconds >= 60) {
      const minutes = Math.ceil(seconds / 60);
      return minutes === 1 ? "1 minute" : `${minutes} minutes`;
    }
    return seconds === 1 ? "1 second" : `${seconds} seconds`;
  };

  const schedule = () => {
    timers.forEach(clearTimeout);
    const since = Date.now() - latestRequest();
    timers = [
      setTimeout(warn, Math.max(0, idleMs - warningMs - since)),
      setTimeout(timeUp, Math.max(0, idleMs - since) + MARGIN_MS),
    ];
  };

  const closeDialog = () => {
    clearInterval(ticker);
    if (dialog.open) dialog.close();
    if (returnFocusTo && document.contains(returnFocusTo)) returnFocusTo.focus();
  };

  const showRemaining = (announce) => {
    const left = latestRequest() + idleMs - Date.now();
    countdown.textContent = inWords(left);
    if (announce) {
      spoken.textContent = inWords(left);
      announcement.textContent = `You will be signed out in ${inWords(left)}.`;
    }
  };

  function warn() {
    if (Date.now() - latestRequest() < idleMs - warningMs - MARGIN_MS) {
      schedule(); // another tab made a request since
      return;
    }
    returnFocusTo = document.activeElement;
    showRemaining(true);
    announcement.textContent = "";
    dialog.showModal();
    stayButton.focus();
    let ticks = 0;
    ticker = setInterval(() => {
      ticks += 1;
      showRemaining(ticks % 30 === 0); // screen readers hear it every 30 seconds, not every second
    }, 1000);
  }

  async function staySignedIn() {
    try {
      const response = await fetch(dialog.dataset.stayUrl, {
        method: "POST",
        headers: { "X-CSRFToken": token, Accept: "application/json" },
        credentials: "same-origin",
      });
      // Signed out already: the sign-in page answers instead (after a redirect).
      if (!response.ok || response.redirected) throw new Error("not signed in");
    } catch (error) {
      timeUp();
      return;
    }
    remember(Date.now());
    closeDialog();
    schedule();
  }

  function timeUp() {
    if (Date.now() - latestRequest() < idleMs) {
      closeDialog();
      schedule();
      return;
    }
    closeDialog();
    timers.forEach(clearTimeout);
    const form = document.querySelector("form[data-keeps-drafts]");
    if (form && form.dataset.changed === "yes") {
      const draft = document.createElement("input");
      draft.type = "hidden";
      draft.name = "save_draft";
      draft.value = "timed-out";
      form.append(draft);
      HTMLFormElement.prototype.submit.call(form);
      return;
    }
    const next = window.location.pathname + window.location.search;
    window.location.assign(`${dialog.dataset.signInUrl}?timed_out=1&next=${encodeURIComponent(next)}`);
  }

  document.querySelectorAll("form[data-keeps-drafts]").forEach((form) => {
    const changed = () => {
      form.dataset.changed = "yes";
    };
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
  });
  stayButton.addEventListener("click", staySignedIn);
  // Escape (the dialog's "cancel") means stay signed in, not a silent close.
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    staySignedIn();
  });
  remember(lastRequest);
  schedule();
}
