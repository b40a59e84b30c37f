// Clientes: the customer list's "Más opciones" menu, one for every row
// (templates/customers/_row_menu.html). Before Bootstrap opens a row's dropdown, the shared
// menu moves right after that row's ⋮ button (where Bootstrap looks for it) and its links and
// form are pointed at that row's customer: the 0 in each address becomes the customer's id.
(function () {
  "use strict";

  function pointAt(menu, button) {
    var pk = button.dataset.rowMenu;
    var suspended = button.hasAttribute("data-suspended");
    function forCustomer(url) { return url.replace("/0/", "/" + pk + "/"); }
    menu.querySelectorAll("[data-href]").forEach(function (link) {
      link.href = forCustomer(link.dataset.href);
    });
    var form = menu.querySelector("form[data-action]");
    if (form) {
      form.action = forCustomer(suspended ? form.dataset.suspendedAction : form.dataset.action);
      var submit = form.querySelector("[data-label]");
      submit.textContent = suspended ? submit.dataset.suspendedLabel : submit.dataset.label;
    }
  }

  function prepare(event) {
    var button = event.target.closest && event.target.closest("[data-row-menu]");
    var menu = document.getElementById("row-menu");
    if (!button || !menu) return;
    var previous = menu.previousElementSibling;
    if (previous !== button) {
      if (previous && previous.matches("[data-row-menu]")) {
        // The menu belonged to another row's button: close that dropdown and forget it.
        var instance = bootstrap.Dropdown.getInstance(previous);
        if (instance) { instance.hide(); instance.dispose(); }
      }
      button.after(menu);
    }
    pointAt(menu, button);
  }

  // On window, capture phase: before Bootstrap's own handlers, which listen on document in
  // the capture phase and look for the menu as soon as they run.
  window.addEventListener("click", prepare, true);
  window.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") prepare(event);
  }, true);
})();
