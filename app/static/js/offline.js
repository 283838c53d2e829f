// The phone's outbox. Every answer, note and photo is first written to IndexedDB with a UUID
// of its own (outbox/store.js), then sent (outbox/sync.js); it leaves the outbox only when the
// server has confirmed it. The sync panel (outbox/panel.js) says what waits; the service
// worker (outbox/pages.js) keeps pages for use without a network. This module wires them to
// the page and offers the outbox to checklist.js and uploads.js as window.XunjianOutbox.

import { forgetPages, keepPages, startWorker } from "./outbox/pages.js";
import { panel, say, urls } from "./outbox/page.js";
import { keepClear, render } from "./outbox/panel.js";
import { downscale } from "./outbox/photos.js";
import { state } from "./outbox/state.js";
import { allEntries } from "./outbox/store.js";
import { add, amend, drain, hold, release, remove, retryNow } from "./outbox/sync.js";

document.addEventListener("click", (event) => {
  if (event.target.closest("#sync .sync-now")) retryNow();
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.action || new URL(form.action).pathname !== urls().logout) return;
  if (state.waiting && !window.confirm(say("logout_confirm", { n: state.waiting }))) {
    event.preventDefault();
    event.stopImmediatePropagation();
    return;
  }
  forgetPages();
}, true);

document.addEventListener("htmx:sendError", () => {
  const section = panel();
  if (!section) return;
  section.querySelector(".sync-status").textContent = say("needs_network");
  section.hidden = false;
});

document.addEventListener("htmx:afterSettle", (event) => {
  if (event.target === document.body) { // a boosted navigation brought a new page
    keepPages(false);
    drain();
  }
});

document.addEventListener("toggle", (event) => {
  if (event.target.matches && event.target.matches("#sync .sync-refused")) keepClear(panel());
}, true);
window.addEventListener("online", retryNow);
window.addEventListener("offline", render);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") drain();
});

window.XunjianOutbox = {
  add,
  amend,
  hold,
  release,
  remove,
  downscale,
  entries: allEntries,
  drain: retryNow,
  waiting: () => state.waiting,
  say,
};

startWorker();
render();
drain();
