// A button that copies a link to pass on (an invitation, auth/invitation_link.html): the
// clipboard where the browser allows it (HTTPS), else the field is selected and copied the
// old way. Without script the button stays hidden and the link can be selected by hand.
(function () {
  "use strict";

  async function copy(button) {
    const field = document.getElementById(button.dataset.copy);
    const done = button.parentElement.querySelector("[data-copied]");
    try {
      await navigator.clipboard.writeText(field.value);
    } catch (error) {
      field.select();
      if (!document.execCommand("copy")) return;
    }
    if (done) done.hidden = false;
  }

  function scan(root) {
    for (const button of root.querySelectorAll("button[data-copy]")) button.hidden = false;
    for (const field of root.querySelectorAll("input[data-select-all]")) {
      if (field.dataset.ready) continue;
      field.dataset.ready = "1";
      field.addEventListener("focus", () => field.select());
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-copy]");
    if (button) copy(button);
  });
  document.addEventListener("DOMContentLoaded", () => scan(document));
  document.addEventListener("htmx:load", (event) => scan(event.target));
})();
