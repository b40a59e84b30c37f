// A file input in Spanish (the app's Importar page and the admin's import form): the browser's
// own input is visually hidden — its button and «No file chosen» follow the browser's
// language — and a label for it shows «Elegir archivo» and the chosen file's name, in the
// element marked data-file-name-for="<the input's id>".
(function () {
  "use strict";

  function show(input) {
    var name = input && document.querySelector('[data-file-name-for="' + input.id + '"]');
    if (!name) return;
    var file = input.files && input.files[0];
    name.textContent = file ? file.name : name.dataset.empty;
    name.title = file ? file.name : "";
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(".file-picker-input")) show(event.target);
  });
  // The browser may bring the page back (Atrás) with the file still chosen.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll(".file-picker-input").forEach(show);
  });

  // A file dropped on the face is chosen, as the browser's own input would take it.
  function faceOf(event) {
    return event.target.closest ? event.target.closest(".file-picker-face") : null;
  }
  document.addEventListener("dragover", function (event) {
    var face = faceOf(event);
    if (!face) return;
    event.preventDefault();
    face.classList.add("is-dragover");
  });
  document.addEventListener("dragleave", function (event) {
    var face = faceOf(event);
    if (face) face.classList.remove("is-dragover");
  });
  document.addEventListener("drop", function (event) {
    var face = faceOf(event);
    if (!face) return;
    event.preventDefault();
    face.classList.remove("is-dragover");
    var input = document.getElementById(face.htmlFor);
    if (!input || !event.dataTransfer || !event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
})();
