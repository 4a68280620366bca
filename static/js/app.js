// Marks the page as able to run GOV.UK Frontend, then starts its components.
import { initAll } from "../govuk/govuk-frontend.min.js";
// The idle time-out warning; it does nothing on pages without its dialog (signed out).
import "./session-timeout.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
