// The customer list: the bulk buttons act on the ticked rows, so they stay disabled until a
// row is ticked and say how many ("Suspender 3"). Delegated: htmx replaces the table.
(function () {
  "use strict";

  function ticked(form) {
    return document.querySelectorAll('input[type="checkbox"][name="ids"][form="' + form.id + '"]:checked').length;
  }

  function refresh() {
    var form = document.querySelector("[data-bulk-form]");
    if (!form) return;
    var count = ticked(form);
    form.querySelectorAll("[data-bulk-label]").forEach(function (button) {
      button.disabled = count === 0;
      // static/js/app.js asks the question in data-confirm before the form goes.
      if (button.hasAttribute("data-confirm")) {
        var what = count === 1 ? "el cliente marcado" : "los " + count + " clientes marcados";
        button.setAttribute("data-confirm", "¿Enviar " + what + " a la Papelera?");
      }
      button.textContent = count === 0
        ? button.dataset.bulkLabel + " seleccionados"
        : button.dataset.bulkLabel + " " + count + (count === 1 ? " cliente" : " clientes");
    });
    var status = form.querySelector("[data-bulk-status]");
    if (status) {
      status.textContent = count === 0
        ? "Marque clientes para actuar sobre ellos:"
        : count + (count === 1 ? " marcado:" : " marcados:");
    }
  }

  document.addEventListener("change", function (event) {
    if (event.target.name === "ids") refresh();
  });
  document.body.addEventListener("htmx:afterSettle", refresh);
  window.addEventListener("pageshow", refresh); // back button: the browser may restore ticks
  refresh();
})();
