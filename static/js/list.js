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

// The rows' ⋮ menu: one for the whole page (templates/customers/_row_menu.html). Before
// Bootstrap opens a row's dropdown, the menu moves right after that row's ⋮ button (where
// Bootstrap looks for it), its addresses get that row's id in place of the 0, and the items that
// depend on the row's state (data-when / data-unless, matched against the row's data-row-state)
// are shown or hidden. htmx reads the addresses of its items (hx-get) when it processes them, so
// the filled menu is processed again.
(function () {
  "use strict";

  var ADDRESSES = {
    "data-row-href": "href",
    "data-row-formaction": "formaction",
    "data-row-hx-get": "hx-get",
    "data-row-hx-post": "hx-post",
  };

  function pointAt(menu, button) {
    var pk = button.dataset.rowMenu;
    var row = button.closest("tr");
    var state = ((row && row.dataset.rowState) || "").split(" ");
    Object.keys(ADDRESSES).forEach(function (source) {
      menu.querySelectorAll("[" + source + "]").forEach(function (item) {
        item.setAttribute(ADDRESSES[source], item.getAttribute(source).replace("/0/", "/" + pk + "/"));
      });
    });
    menu.querySelectorAll("[data-when]").forEach(function (item) {
      item.hidden = state.indexOf(item.dataset.when) === -1;
    });
    menu.querySelectorAll("[data-unless]").forEach(function (item) {
      item.hidden = state.indexOf(item.dataset.unless) !== -1;
    });
    if (window.htmx) window.htmx.process(menu);
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
    // A click that came before this script ran left Bootstrap a dropdown without a menu.
    var early = bootstrap.Dropdown.getInstance(button);
    if (early && early._menu !== menu) early.dispose();
    pointAt(menu, button);
  }

  // On window, capture phase: before Bootstrap's own handlers, which listen on document in
  // the capture phase and look for the menu as soon as they run.
  window.addEventListener("click", prepare, true);
  window.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp" || event.key === "Enter" || event.key === " ") prepare(event);
  }, true);
})();
