// Where the phone is, from its Geolocation API: the "use my location" button of the site form
// fills the place's coordinates; the hidden fields of a fix form carry where the phone was when
// the fix photos were sent, those of the scan page where it was at the check-in. Without script
// (or without permission) nothing is filled and the coordinates can still be typed; a fix or a
// check-in without them is simply not checked for distance.
(function () {
  "use strict";

  // A form marked data-wait-for-location sent before the phone has told where it is waits
  // for it this long at most, then goes without: a patrol's start is never held up for long.
  const WAIT_MS = 4000;
  const asking = new WeakMap(); // such a form -> the promise of its fields filled (or not)

  // The phone's coordinates, or null when it has none, is not allowed, or takes too long.
  function locate() {
    return new Promise((resolve) => {
      if (!("geolocation" in navigator)) {
        resolve(null);
        return;
      }
      navigator.geolocation.getCurrentPosition(
        (position) => resolve(position.coords),
        () => resolve(null),
        { enableHighAccuracy: true, maximumAge: 60000, timeout: 20000 }
      );
    });
  }

  function useMyLocation(button) {
    const fields = button.form.elements;
    locate().then((coords) => {
      if (!coords) return;
      fields.namedItem("latitude").value = coords.latitude.toFixed(6);
      fields.namedItem("longitude").value = coords.longitude.toFixed(6);
    });
  }

  function fillHidden(root) {
    const fields = root.querySelectorAll("input[data-location]");
    if (!fields.length) return;
    const filled = locate().then((coords) => {
      if (!coords) return;
      for (const field of fields) {
        const value = coords[field.dataset.location];
        if (typeof value === "number") field.value = String(value);
      }
    });
    for (const form of new Set(Array.from(fields, (field) => field.form))) {
      if (form && form.hasAttribute("data-wait-for-location")) {
        asking.set(form, filled);
        filled.then(() => asking.delete(form));
      }
    }
  }

  function scan(root) {
    for (const button of root.querySelectorAll("button[data-use-location]")) {
      button.hidden = !("geolocation" in navigator);
    }
    fillHidden(root);
  }

  // Sent while the phone is still finding itself: held (before htmx's boost sees the submit)
  // until it has answered or WAIT_MS have passed, then sent as it is.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    const filled = asking.get(form);
    if (!filled) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (form.getAttribute("aria-busy") === "true") return; // tapped again while it waits
    form.setAttribute("aria-busy", "true");
    const submitter = event.submitter;
    const waited = new Promise((resolve) => setTimeout(resolve, WAIT_MS));
    Promise.race([filled, waited]).then(() => {
      asking.delete(form);
      form.removeAttribute("aria-busy");
      // Tapped again, not requestSubmit(): htmx learns from the tap which button it was.
      if (submitter) submitter.click();
      else form.requestSubmit();
    });
  }, true);

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-use-location]");
    if (button) useMyLocation(button);
  });
  document.addEventListener("DOMContentLoaded", () => scan(document));
  document.addEventListener("htmx:load", (event) => { if (event.target !== document.body) scan(event.target); });
})();
