// Atributos adicionales: the definition form shows the options (lists) or the range (numbers)
// only for the types that use them. Delegated, because htmx loads the form into the panel.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var select = event.target.closest("[data-attr-kind]");
    if (!select) return;
    var form = select.closest("form");
    form.querySelectorAll("[data-attr-show]").forEach(function (block) {
      block.hidden = block.dataset.attrShow.split(" ").indexOf(select.value) === -1;
    });
  });
})();
