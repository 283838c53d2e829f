// Pages for offline use: the service worker keeps the ones the page names.

import { urls } from "./page.js";

// Said to the active worker, not to the page's controller: a page the worker does not control
// (a hard reload, or a first visit that began to load before the worker took over) has none,
// and its pages must be kept (or forgotten) all the same.
function tellWorker(message) {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.ready.then((registration) => registration.active.postMessage(message));
}

export function keepPages(force) {
  const marker = document.getElementById("offline-pages");
  if (!marker) return;
  tellWorker({
    type: "keep-pages",
    urls: JSON.parse(marker.dataset.urls || "[]"),
    replaceChecklists: marker.hasAttribute("data-replace-checklists"),
    force: Boolean(force),
  });
}

export function forgetPages() {
  tellWorker({ type: "forget-pages" });
}

export function startWorker() {
  if (!("serviceWorker" in navigator) || !urls().worker) return;
  navigator.serviceWorker.register(urls().worker, { scope: "/" }).catch(() => {});
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "pages-kept") {
      document.documentElement.dataset.offlineReady = event.data.urls.join(" ");
    }
  });
  keepPages(false);
}
