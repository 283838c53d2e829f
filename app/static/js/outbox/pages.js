// Pages for offline use: the service worker keeps the ones the page names.

import { urls } from "./page.js";

export function keepPages(force) {
  const marker = document.getElementById("offline-pages");
  const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
  if (!marker || !worker) return;
  worker.postMessage({
    type: "keep-pages",
    urls: JSON.parse(marker.dataset.urls || "[]"),
    replaceChecklists: marker.hasAttribute("data-replace-checklists"),
    force: Boolean(force),
  });
}

export function forgetPages() {
  const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
  if (worker) worker.postMessage({ type: "forget-pages" });
}

export function startWorker() {
  if (!("serviceWorker" in navigator) || !urls().worker) return;
  navigator.serviceWorker.register(urls().worker, { scope: "/" }).catch(() => {});
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "pages-kept") {
      document.documentElement.dataset.offlineReady = event.data.urls.join(" ");
    }
  });
  navigator.serviceWorker.ready.then(() => {
    if (navigator.serviceWorker.controller) keepPages(false);
    else navigator.serviceWorker.addEventListener("controllerchange", () => keepPages(false));
  });
}
