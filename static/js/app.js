// Marks the page as able to run GOV.UK Frontend, then starts its components.
import { initAll } from "../govuk/govuk-frontend.min.js";
// The idle time-out warning; it does nothing on pages without its dialog (signed out).
import "./session-timeout.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// "Print this policy": a button only where script can print; the browser's own print works anyway.
for (const button of document.querySelectorAll("[data-app-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
// A printed page shows what folded sections hold (who is told of what, signposts).
window.addEventListener("beforeprint", () => {
  for (const details of document.querySelectorAll("details")) details.open = true;
});

// A table shown as cards on a phone (.app-table--cards, static/scss/_reflow.scss) keeps its
// table semantics for screen readers: some browsers drop them once a table's CSS display
// changes, unless the roles are stated.
const roles = [
  ["thead, tbody, tfoot", "rowgroup"],
  ["tr", "row"],
  ["th[scope=col]", "columnheader"],
  ["th[scope=row]", "rowheader"],
  ["td", "cell"],
];
for (const table of document.querySelectorAll("table.app-table--cards")) {
  table.setAttribute("role", "table");
  for (const [selector, role] of roles) {
    for (const element of table.querySelectorAll(selector)) element.setAttribute("role", role);
  }
}
