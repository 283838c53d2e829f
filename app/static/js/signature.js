// The signature box on a notice (notices/detail.html). signature_pad, a module loaded only on
// a page that has a box, draws with a finger or a pen; after each stroke the drawing is put in
// the form's hidden field as a PNG data URL, so the form posts it however it is sent. Nothing
// drawn, nothing sent: the notice is then acknowledged without a signature.
(function () {
  "use strict";

  async function attach(canvas) {
    if (canvas.dataset.ready) return;
    canvas.dataset.ready = "1";
    const { default: SignaturePad } = await import(canvas.dataset.module);
    const form = canvas.closest("form");
    const field = form.querySelector("input[name=signature]");
    const pad = new SignaturePad(canvas, { minWidth: 0.8, maxWidth: 2.6, penColor: "#000" });

    function keep() {
      field.value = pad.isEmpty() ? "" : pad.toDataURL("image/png");
    }

    // The canvas draws in device pixels: sized to the box as shown, redrawn when it changes.
    function fit() {
      const ratio = Math.max(window.devicePixelRatio || 1, 1);
      const strokes = pad.toData();
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      pad.fromData(strokes);
      keep();
    }

    pad.addEventListener("endStroke", keep);
    form.querySelector("[data-signature-clear]").addEventListener("click", () => {
      pad.clear();
      keep();
    });
    new ResizeObserver(fit).observe(canvas);
  }

  function scan(root) {
    for (const canvas of root.querySelectorAll("canvas[data-signature-pad]")) attach(canvas);
  }

  document.addEventListener("DOMContentLoaded", () => scan(document));
  document.addEventListener("htmx:load", (event) => scan(event.target));
})();
