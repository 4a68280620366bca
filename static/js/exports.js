// After "Download export" the browser stays on this page while the file downloads, so
// "Past exports" would still show the list from before. The export is recorded before it
// starts: read the list again a moment later and put it in place.
const form = document.querySelector("[data-export-form]");
const history = document.getElementById("past-exports-section");

async function refreshHistory() {
  const response = await fetch(window.location.href, { credentials: "same-origin" });
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.getElementById("past-exports-section");
  if (fresh) history.innerHTML = fresh.innerHTML;
}

if (form && history) {
  form.addEventListener("submit", () => {
    // A large export takes longer to start: look again a few times.
    [1000, 3000, 8000].forEach((delay) => setTimeout(refreshHistory, delay));
  });
}
