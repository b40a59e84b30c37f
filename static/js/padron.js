// Clientes: the customer form's search by razón social in the padrón SUNAT. The input lives
// outside the customer form (form="padron-search-detached": Enter does not save, the value is
// not posted); htmx fetches the results. Picking one types its RUC in the document number and
// runs the lupa (static/js/customers.js), which fills the form as if the RUC had been typed.
(function () {
  "use strict";

  var COMPANY_PREFIXES = ["20", "15", "17"];

  function fire(element, type) {
    element.dispatchEvent(new Event(type, { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var pick = event.target.closest("[data-padron-pick]");
    if (!pick) return;
    var box = pick.closest("[data-padron-search]");
    var form = box && box.closest("form");
    if (!form) return;
    var ruc = pick.dataset.padronPick;
    var company = form.querySelector('input[name="kind"][value="empresa"]');
    if (company && !company.checked && COMPANY_PREFIXES.indexOf(ruc.slice(0, 2)) !== -1) {
      company.checked = true;
      fire(company, "change");
    }
    var docType = form.elements.document_type;
    if (docType.value !== "6") {
      docType.value = "6";
      fire(docType, "change");
    }
    var number = form.elements.document_number;
    number.value = ruc;
    fire(number, "input");
    var details = box.querySelector("details");
    if (details) details.open = false;
    box.querySelector("#padron-search-results").innerHTML = "";
    form.querySelector("[data-lookup-button]").click();
    number.focus();
  });
})();
