// Checklist photos: downscale in the browser, upload one by one with progress, and swap the
// item's card with the server's answer. Without this script the form still posts as is.
(function () {
  "use strict";
  const LONG_SIDE = 1600;
  const QUALITY = 0.82;
  let position = null;

  document.documentElement.classList.add("js");

  function locate() {
    if (!("geolocation" in navigator)) return;
    navigator.geolocation.getCurrentPosition(
      (found) => { position = found.coords; },
      () => { position = null; },
      { enableHighAccuracy: true, maximumAge: 60000, timeout: 20000 }
    );
  }

  async function downscale(file) {
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (error) {
      return file; // not an image this browser can read: the server will say what is wrong
    }
    const scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
    if (!blob) return file;
    return new File([blob], "photo.jpg", { type: "image/jpeg", lastModified: file.lastModified });
  }

  function send(form, file, onProgress) {
    return new Promise((resolve, reject) => {
      const data = new FormData();
      data.append("csrf_token", form.elements.csrf_token.value);
      data.append("photo", file, file.name);
      data.append("taken_at_ms", String(file.lastModified));
      if (position) {
        data.append("latitude", String(position.latitude));
        data.append("longitude", String(position.longitude));
        data.append("accuracy", String(position.accuracy));
      }
      const request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("HX-Request", "true");
      request.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
      request.addEventListener("load", () => resolve(request));
      request.addEventListener("error", () => reject(new Error("network")));
      request.addEventListener("timeout", () => reject(new Error("network")));
      request.timeout = 120000;
      request.send(data);
    });
  }

  async function uploadAll(form, files) {
    const bar = form.querySelector(".upload-progress");
    const status = form.querySelector(".upload-status");
    const item = form.closest(".item");
    let answer = null;
    bar.hidden = false;
    for (let index = 0; index < files.length; index += 1) {
      status.textContent = form.dataset.msgUploading
        .replace("{n}", index + 1).replace("{total}", files.length);
      bar.value = 0;
      try {
        const small = await downscale(files[index]);
        answer = await send(form, small, (share) => { bar.value = Math.round(share * 100); });
      } catch (error) {
        status.textContent = form.dataset.msgFailed;
        bar.hidden = true;
        return;
      }
      if (answer.status !== 200) break; // the card carries the server's reason
    }
    if (answer) htmx.swap(item, answer.responseText, { swapStyle: "outerHTML" });
  }

  document.addEventListener("change", (event) => {
    const input = event.target;
    if (!input.matches("[data-photo-upload] input[type=file]") || !input.files.length) return;
    uploadAll(input.form, Array.from(input.files));
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches("[data-photo-upload]")) return;
    const input = form.querySelector("input[type=file]");
    event.preventDefault();
    if (input.files.length) uploadAll(form, Array.from(input.files));
  });

  locate();
})();
