// Importar. Delegated listeners, because htmx swaps the job's partial while it polls.
(function () {
  "use strict";

  // The mapping step and Importar are two forms: a column changed and not applied would be
  // ignored by Importar without a word. Say so, and hold Importar until the columns are applied.
  // A value for every row typed (input) or chosen (change) holds Importar the same way.
  function columnsChanged(event) {
    if (!event.target.closest("#import-columns-form select, #import-columns-form input[type=text]")) return;
    var pending = document.getElementById("import-columns-pending");
    if (pending) pending.hidden = false;
    var confirm = document.querySelector("#import-confirm button[type=submit]");
    if (confirm) {
      confirm.disabled = true;
      confirm.title = "Aplique primero las columnas que cambió";
    }
  }
  document.addEventListener("change", columnsChanged);
  document.addEventListener("input", columnsChanged);

  // The job's page polls its progress; when a poll gets no answer (the network, the server
  // restarting) htmx says nothing and the page would go on showing the last progress as if it
  // were now. Say so; the next answer replaces the partial, and this notice with it.
  function pollFailed(event) {
    var source = event.detail && event.detail.elt;
    if (!source || source.id !== "import-job") return;
    var notice = document.getElementById("import-offline");
    if (notice) notice.hidden = false;
  }
  document.addEventListener("htmx:sendError", pollFailed);
  document.addEventListener("htmx:responseError", pollFailed);

  // A file over the size limit is refused before it travels to the server (the server checks
  // again): the same words the server would answer with.
  document.addEventListener("change", function (event) {
    var input = event.target.closest("input[type=file][data-max-bytes]");
    if (!input) return;
    var max = Number(input.dataset.maxBytes);
    var file = input.files && input.files[0];
    var message = document.getElementById("archivo-error-local");
    var tooBig = file && file.size > max;
    if (tooBig) {
      var mb = Math.ceil(file.size * 10 / 1048576) / 10;
      message.textContent = "El archivo pesa " + mb.toFixed(1) + " MB; el máximo es " +
        Math.floor(max / 1048576) + " MB. Divídalo en varios archivos.";
    }
    message.hidden = !tooBig;
    input.classList.toggle("is-invalid", Boolean(tooBig));
    input.form.querySelector("button[type=submit]").disabled = Boolean(tooBig);
  });
})();
