// Where the phone is, from its Geolocation API: the "use my location" button of the site form
// fills the place's coordinates; the hidden fields of a fix form carry where the phone was when
// the fix photos were sent. Without script (or without permission) nothing is filled and the
// coordinates can still be typed; a fix without them is simply not checked for distance.
(function () {
  "use strict";

  function locate(found) {
    if (!("geolocation" in navigator)) return;
    navigator.geolocation.getCurrentPosition(
      (position) => found(position.coords),
      () => {},
      { enableHighAccuracy: true, maximumAge: 60000, timeout: 20000 }
    );
  }

  function useMyLocation(button) {
    const fields = button.form.elements;
    locate((coords) => {
      fields.namedItem("latitude").value = coords.latitude.toFixed(6);
      fields.namedItem("longitude").value = coords.longitude.toFixed(6);
    });
  }

  function fillHidden(root) {
    const fields = root.querySelectorAll("input[data-location]");
    if (!fields.length) return;
    locate((coords) => {
      for (const field of fields) {
        const value = coords[field.dataset.location];
        if (typeof value === "number") field.value = String(value);
      }
    });
  }

  function scan(root) {
    for (const button of root.querySelectorAll("button[data-use-location]")) {
      button.hidden = !("geolocation" in navigator);
    }
    fillHidden(root);
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-use-location]");
    if (button) useMyLocation(button);
  });
  document.addEventListener("DOMContentLoaded", () => scan(document));
  document.addEventListener("htmx:load", (event) => { if (event.target !== document.body) scan(event.target); });
})();
