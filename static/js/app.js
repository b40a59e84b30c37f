// Every page. Buttons that ask before they submit carry the question in data-confirm: the
// Content-Security-Policy runs no inline onclick, so the asking lives here.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
