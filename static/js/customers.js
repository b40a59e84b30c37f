// Clientes: behaviour of the customer pages (form by type, phone/e-mail rows, ubigeo, side
// panel, tabs). Plain JavaScript on top of Bootstrap and htmx, both loaded by base.html.
(function () {
  "use strict";

  // --- Customer form: the fields each type shows ------------------------------------------
  // A data-show spec lists alternatives separated by spaces, each made of tokens joined by
  // "+"; an element is shown when every token of one alternative is in the form's state.
  // customers/forms.py (matches) applies the same rule on the server for the first render.

  function matches(spec, state) {
    spec = (spec || "").trim();
    if (!spec) return true;
    return spec.split(/\s+/).some(function (alternative) {
      return alternative.split("+").every(function (token) { return state.has(token); });
    });
  }

  function formState(form) {
    var kind = form.querySelector('input[name="kind"]:checked');
    var foreign = form.querySelector('input[name="is_foreign"]');
    var state = new Set([kind ? kind.value : "empresa", foreign && foreign.checked ? "extranjero" : "peru"]);
    if (form.dataset.requireAddress === "1") state.add("reqaddr");
    return state;
  }

  // SUNAT catálogo 06: a Peruvian company is identified by its RUC (6), a person by DNI (1)
  // or RUC; foreign customers by the types marked for foreigners (proposed: 0, documento
  // tributario no domiciliado, for a company; 4, carné de extranjería, for a person).
  var RUC = "6", DNI = "1", CARNE_EXTRANJERIA = "4", NO_DOMICILIADO = "0";

  function docAllowed(option, state) {
    if (!option.value) return true;
    var forForeigners = option.dataset.foreign === "1";
    if (state.has("extranjero")) return forForeigners;
    if (forForeigners) return false;
    return state.has("empresa") ? option.value === RUC : true;
  }

  function applyType(form, changedByUser) {
    var state = formState(form);
    form.querySelectorAll("[data-show]").forEach(function (el) {
      el.hidden = !matches(el.dataset.show, state);
    });
    var select = form.querySelector("[data-doc-type]");
    if (!select) return;
    Array.prototype.forEach.call(select.options, function (option) {
      var ok = docAllowed(option, state);
      option.hidden = !ok;
      option.disabled = !ok;
    });
    var current = select.options[select.selectedIndex];
    var usable = !!current && !current.disabled && !!current.value;
    if (state.has("extranjero")) {
      // Keep a foreign document already chosen; otherwise propose the usual one.
      if (!usable) pick(select, state.has("empresa") ? NO_DOMICILIADO : CARNE_EXTRANJERIA);
    } else if (changedByUser || !usable) {
      pick(select, state.has("empresa") ? RUC : DNI);
    }
  }

  function pick(select, code) {
    var option = select.querySelector('option[value="' + code + '"]:not([disabled])') ||
      Array.prototype.find.call(select.options, function (o) { return !o.disabled && o.value; });
    if (option) select.value = option.value;
  }

  function visible(el) {
    return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  }

  function focusFirstError(root) {
    var invalid = Array.prototype.find.call(root.querySelectorAll(".is-invalid"), visible);
    if (invalid) {
      invalid.focus();
      return true;
    }
    return false;
  }

  function focusNextField(field) {
    var fields = Array.prototype.filter.call(
      field.form.querySelectorAll("input:not([type=hidden]), select, textarea"),
      function (el) { return !el.disabled && el.tabIndex >= 0 && visible(el); }
    );
    var next = fields[fields.indexOf(field) + 1];
    if (next) next.focus();
  }

  // --- Names typed all in lower case ------------------------------------------------------
  // "quispe mamani" is offered as "Quispe Mamani" in one click under the field; never
  // changed silently (particles stay small: "María de la Cruz"; "S.A.C." in capitals).
  var PERSON_PARTICLES = ["de", "del", "la", "las", "los", "y", "e", "da", "do", "dos", "van", "von"];
  var COMPANY_PARTICLES = ["de", "del", "y", "e", "en", "para", "por", "con", "a"];
  var LEGAL_FORMS = ["sac", "sa", "saa", "srl", "eirl", "sl", "scrl", "sacs"];

  function capitalizeWord(word, index, particles) {
    var bare = word.replace(/\./g, "");
    if (/^([a-zñ]\.)+[a-zñ]?\.?$/i.test(word) || LEGAL_FORMS.indexOf(bare) !== -1) return word.toUpperCase();
    if (index > 0 && particles.indexOf(word) !== -1) return word;
    return word.split("-").map(function (part) {
      return part.charAt(0).toLocaleUpperCase("es") + part.slice(1);
    }).join("-");
  }

  function capitalized(value, particles) {
    var index = 0;
    return value.split(/(\s+|,)/).map(function (token) {
      if (!token.trim() || token === ",") return token;
      return capitalizeWord(token, index++, particles);
    }).join("");
  }

  function allLowerCase(value) {
    return /\p{L}/u.test(value) && value === value.toLocaleLowerCase("es") && value !== value.toLocaleUpperCase("es");
  }

  function setupCapitalization(form) {
    form.querySelectorAll("[data-capitalize]").forEach(function (input) {
      var particles = input.dataset.capitalize === "company" ? COMPANY_PARTICLES : PERSON_PARTICLES;
      var box = document.createElement("div");
      box.className = "form-text capitalize-hint";
      box.hidden = true;
      box.setAttribute("aria-live", "polite");
      box.appendChild(document.createTextNode("Está todo en minúsculas. ¿Usar "));
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-link btn-sm p-0 align-baseline capitalize-button";
      box.appendChild(button);
      box.appendChild(document.createTextNode("?"));
      input.insertAdjacentElement("afterend", box);

      function refresh() {
        var value = input.value.trim();
        var offer = allLowerCase(value) ? capitalized(value, particles) : "";
        box.hidden = !offer || offer === value;
        button.textContent = offer;
      }
      button.addEventListener("click", function () {
        input.value = button.textContent;
        input.dispatchEvent(new Event("input", { bubbles: true }));
        refresh();
        input.focus();
      });
      input.addEventListener("input", refresh);
      refresh();
    });
  }

  function setupCustomerForm(form) {
    setupCapitalization(form);
    applyType(form, false);
    form.addEventListener("change", function (event) {
      if (event.target.name === "kind" || event.target.name === "is_foreign") applyType(form, true);
    });
    form.querySelectorAll("[data-rows]").forEach(setupRows);
    setupPhones(form);
    setupLookup(form);
    if (form.hasAttribute("data-stale")) {
      var stale = document.getElementById("stale-edit");
      if (stale) {
        stale.scrollIntoView({ block: "start" });
        stale.focus();
      }
    } else if (form.hasAttribute("data-has-errors")) {
      // Open the folded section that holds an error, then put the cursor on the first one.
      form.querySelectorAll(".collapse").forEach(function (section) {
        if (section.querySelector(".is-invalid")) section.classList.add("show");
      });
      focusFirstError(form);
    }
  }

  // --- Enter saves ------------------------------------------------------------------------
  // The browser submits on Enter from a text field; in these forms Enter on a checkbox or a
  // radio button saves too, and Ctrl+Enter saves from a multi-line field.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.isComposing) return;
    var target = event.target;
    var form = target.form;
    if (!form || !form.hasAttribute("data-enter-submits")) return;
    var toggle = target.type === "checkbox" || target.type === "radio";
    var multiline = target.tagName === "TEXTAREA" && (event.ctrlKey || event.metaKey);
    if (toggle || multiline) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // --- RUC/DNI lookup: the lupa beside the document number ---------------------------------
  // customers:document_lookup answers JSON: {ok, fields: {form field name: value}, message,
  // alert}. The form changes only when the registry answered for the number still typed, and
  // only after everything it needs (the ubigeo options) has arrived; on any failure just the
  // message under the field changes, so nothing typed is lost. Enter in the number field looks
  // the number up (when the lookup is configured); Enter anywhere else still saves.
  var LOOKUP_KINDS = {};
  LOOKUP_KINDS[RUC] = "ruc";
  LOOKUP_KINDS[DNI] = "dni";
  var REGISTRY_FIELDS = ["registry_status", "registry_condition"];

  function setupLookup(form) {
    var box = form.querySelector("[data-lookup]");
    if (!box) return;
    var number = form.elements.document_number;
    var docType = form.elements.document_type;
    var foreign = form.elements.is_foreign;
    var button = box.querySelector("[data-lookup-button]");
    var status = box.querySelector("[data-lookup-status]");
    var pending = null;

    function kind() {
      if (foreign && foreign.checked) return null;
      return LOOKUP_KINDS[docType.value] || null;
    }

    function say(message, tone, alert) {
      status.textContent = message || "";
      status.className = "form-text lookup-status" + (tone ? " text-" + tone : "");
      if (alert) {
        var badge = document.createElement("span");
        badge.className = "badge text-bg-warning registry-alert ms-1";
        badge.textContent = "Atención: " + alert;
        status.appendChild(document.createTextNode(" "));
        status.appendChild(badge);
      }
    }

    function busy(on) {
      button.classList.toggle("is-busy", on);
      button.setAttribute("aria-busy", on ? "true" : "false");
    }

    function forget() {
      // The registry's estado and condición belong to the number they came with.
      REGISTRY_FIELDS.forEach(function (name) { if (form.elements[name]) form.elements[name].value = ""; });
      if (pending) pending.abort();
      say("");
    }

    function options(select, param, code, signal) {
      // The cascading selects' own endpoints (hx-get of the select that drives them).
      var url = select.getAttribute("hx-get") + "?" + new URLSearchParams([[param, code]]);
      return fetch(url, { credentials: "same-origin", signal: signal }).then(function (response) {
        if (!response.ok) throw new Error("ubigeo " + response.status);
        return response.text();
      });
    }

    function ubigeoOptions(fields, signal) {
      var department = form.elements.address_department;
      var province = form.elements.address_province;
      if (!fields.address_district || !department || !province) return Promise.resolve(null);
      return Promise.all([
        options(department, "department", fields.address_department, signal),
        options(province, "province", fields.address_province, signal),
      ]).then(function (html) { return { provinces: html[0], districts: html[1] }; });
    }

    function fill(fields, ubigeo) {
      if (ubigeo) {
        form.elements.address_province.innerHTML = ubigeo.provinces;
        form.elements.address_district.innerHTML = ubigeo.districts;
      } else {
        ["address_department", "address_province", "address_district"].forEach(function (name) { delete fields[name]; });
      }
      Object.keys(fields).forEach(function (name) {
        var field = form.elements[name];
        if (field && typeof fields[name] === "string") field.value = fields[name];
      });
    }

    function userError(message) {
      var error = new Error(message);
      error.userMessage = message;
      return error;
    }

    function lookup() {
      var type = kind();
      if (!type) return;
      var value = number.value.trim();
      var label = type.toUpperCase();
      var failed = "No se pudo consultar el " + label + (value ? " " + value : "") + "; ingrese los datos manualmente.";
      if (pending) pending.abort();
      var controller = new AbortController();
      pending = controller;
      busy(true);
      say("Consultando el " + label + "…", "body-secondary");
      var url = box.dataset.lookupUrl + "?" + new URLSearchParams({ tipo: type, numero: value });
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", signal: controller.signal })
        .then(function (response) {
          if (response.status === 403) throw userError("No tiene permiso para consultar RUC/DNI; ingrese los datos manualmente.");
          // Anything but our JSON (the login page after the session expired, a proxy's error page…).
          if ((response.headers.get("Content-Type") || "").indexOf("application/json") === -1) throw userError(failed);
          return response.json();
        })
        .then(function (answer) {
          if (!answer.ok) return answer;
          return ubigeoOptions(answer.fields, controller.signal).then(function (ubigeo) {
            answer.ubigeo = ubigeo;
            return answer;
          });
        })
        .then(function (answer) {
          if (controller.signal.aborted || number.value.trim() !== value) return; // typed another number meanwhile
          if (!answer.ok) {
            say(answer.message || failed, answer.error === "invalid" ? "danger" : "warning-emphasis");
            return;
          }
          fill(answer.fields, answer.ubigeo);
          say(answer.message, answer.alert ? "warning-emphasis" : "success", answer.alert);
        })
        .catch(function (error) {
          if (controller.signal.aborted) return;
          say((error && error.userMessage) || failed, "warning-emphasis");
        })
        .finally(function () {
          if (pending === controller) {
            pending = null;
            busy(false);
          }
        });
    }

    function refresh() {
      button.hidden = !kind();
    }

    button.addEventListener("click", lookup);
    number.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.isComposing) return;
      // Never saves from here: the rest of the form is still to be filled. Enter looks the
      // number up when it can, and otherwise moves on to the next field.
      event.preventDefault();
      if (kind() && box.dataset.lookupConfigured === "1") lookup();
      else focusNextField(number);
    });
    number.addEventListener("input", forget);
    docType.addEventListener("change", forget);
    // After applyType (registered first) has chosen the document type for the new kind.
    form.addEventListener("change", function (event) {
      if (event.target.name === "kind" || event.target.name === "is_foreign") {
        refresh();
        forget();
      } else if (event.target === docType) {
        refresh();
      }
    });
    refresh();
  }

  // --- Phones: how each number will be saved, and WhatsApp on a landline -------------------
  // customers:phone_check parses the number as the services will ("4701234" is a Lima
  // landline: the field shows "(01) 470 1234" and says so; "234567" asks for its area code).
  // A landline with WhatsApp ticked shows a question to confirm it (WhatsApp Business exists
  // on landlines, but a mobile changed into a landline must not keep the flag unnoticed).
  function setupPhones(form) {
    var container = form.querySelector('[data-rows="phone"]');
    if (!container || !container.dataset.phoneCheckUrl) return;

    function question(row) {
      var whatsapp = row.querySelector("[data-phone-whatsapp]");
      var box = row.querySelector("[data-phone-landline]");
      if (!box) return;
      box.hidden = !(row.dataset.landline === "1" && whatsapp.checked);
      if (box.hidden) box.querySelector("input").checked = false;
    }

    function check(input) {
      var row = input.closest("[data-phone-row]");
      var note = row.querySelector("[data-phone-note]");
      var value = input.value.trim();
      if (!value) {
        note.textContent = "";
        row.dataset.landline = "0";
        question(row);
        return;
      }
      var department = form.elements.address_department;
      var params = new URLSearchParams({ numero: value, departamento: department ? department.value : "" });
      fetch(container.dataset.phoneCheckUrl + "?" + params, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if ((response.headers.get("Content-Type") || "").indexOf("application/json") === -1) throw new Error("phone");
          return response.json();
        })
        .then(function (answer) {
          if (input.value.trim() !== value) return; // typed on meanwhile
          if (!answer.ok) {
            note.textContent = answer.message;
            note.className = "form-text phone-note text-danger";
            return;
          }
          input.value = answer.display;
          note.textContent = answer.note || "";
          note.className = "form-text phone-note" + (answer.note ? " text-success-emphasis" : "");
          row.dataset.landline = answer.landline ? "1" : "0";
          question(row);
        })
        .catch(function () { note.textContent = ""; });
    }

    container.addEventListener("change", function (event) {
      if (event.target.matches("[data-phone-number]")) check(event.target);
      else if (event.target.matches("[data-phone-whatsapp]")) question(event.target.closest("[data-phone-row]"));
    });
  }

  // --- Phone and e-mail rows ---------------------------------------------------------------
  var MAX_ROWS = 10;

  function setupRows(container) {
    var list = container.querySelector("[data-rows-list]");
    var template = container.querySelector("template");
    var addButton = container.querySelector("[data-add-row]");
    var next = 0;
    list.querySelectorAll("input[name]").forEach(function (input) {
      var match = input.name.match(/_(\d+)$/);
      if (match) next = Math.max(next, Number(match[1]) + 1);
    });

    function rows() { return list.querySelectorAll("[data-row]"); }
    function refresh() { addButton.hidden = rows().length >= MAX_ROWS; }

    addButton.addEventListener("click", function () {
      if (rows().length >= MAX_ROWS) return;
      list.insertAdjacentHTML("beforeend", template.innerHTML.split("__i__").join(String(next++)));
      list.lastElementChild.querySelector("input").focus();
      refresh();
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-row]");
      if (!button) return;
      var row = button.closest("[data-row]");
      if (rows().length > 1) {
        var neighbour = row.previousElementSibling || row.nextElementSibling;
        row.remove();
        neighbour.querySelector("input").focus();
      } else {
        row.querySelectorAll("input").forEach(function (input) {
          if (input.type === "checkbox") input.checked = false;
          else input.value = "";
        });
        row.querySelector("input").focus();
      }
      refresh();
    });
    refresh();
  }

  // --- Ubigeo: departamento → provincia → distrito -----------------------------------------
  // htmx loads the options of the next select; a new departamento also empties the distrito.
  document.addEventListener("change", function (event) {
    var department = event.target.closest('[data-ubigeo="department"]');
    if (!department) return;
    var group = department.closest("[data-ubigeo-group]") || department.form;
    var district = group && group.querySelector('[data-ubigeo="district"]');
    if (district) district.innerHTML = '<option value="">Elija la provincia</option>';
  });

  // --- Side panel (Bootstrap offcanvas filled by htmx) -------------------------------------
  function setupPanel(panel) {
    var content = panel.querySelector("#side-panel-content");
    var offcanvas = bootstrap.Offcanvas.getOrCreateInstance(panel);
    var opener = null; // {url, list} of the button that opened the panel, to focus it again

    function focusFirstField() {
      if (focusFirstError(content)) return;
      var field = Array.prototype.find.call(
        content.querySelectorAll("input:not([type=hidden]), select, textarea"), visible
      );
      if (field) field.focus();
    }

    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-panel-open]");
      if (!button) return;
      var list = button.closest("[data-list]");
      opener = { url: button.getAttribute("hx-get"), list: list && list.id };
    });
    document.body.addEventListener("htmx:afterSettle", function (event) {
      if (event.detail.target !== content) return;
      if (panel.classList.contains("show")) focusFirstField();
      else offcanvas.show();
    });
    // A person who already clicked a field while the panel slid in keeps typing there: at the
    // end of the slide Bootstrap's focus trap takes the focus to the panel, so it goes back to
    // that field; otherwise to the first field.
    var focusedWhileSliding = null;
    content.addEventListener("focusin", function (event) {
      if (!panel.classList.contains("show")) focusedWhileSliding = event.target;
    });
    panel.addEventListener("shown.bs.offcanvas", function () {
      var field = focusedWhileSliding;
      focusedWhileSliding = null;
      if (field && content.contains(field)) field.focus();
      else focusFirstField();
    });
    document.body.addEventListener("closePanel", function () { offcanvas.hide(); });
    panel.addEventListener("hidden.bs.offcanvas", function () {
      content.innerHTML = "";
      if (!opener) return;
      var back = document.querySelector('[data-panel-open][hx-get="' + opener.url + '"]');
      if (!back && opener.list) {
        var list = document.getElementById(opener.list);
        back = list && list.querySelector("[data-panel-open]");
      }
      if (back) back.focus();
      opener = null;
    });
  }

  // After a row action (delete, make default) the refreshed list keeps the keyboard in it.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var list = event.detail.target;
    if (!list || !list.hasAttribute || !list.hasAttribute("data-list")) return;
    if (document.activeElement && document.activeElement !== document.body && list.contains(document.activeElement)) return;
    var alert = list.querySelector("[data-list-message]");
    if (alert) alert.focus();
  });

  // --- Tabs: the open tab goes in the address (?tab=…) so a reload keeps it ----------------
  function setupTabs(nav) {
    nav.querySelectorAll("[data-tab]").forEach(function (tab) {
      tab.addEventListener("shown.bs.tab", function () {
        var url = new URL(window.location.href);
        url.searchParams.set("tab", tab.dataset.tab);
        url.hash = "";
        window.history.replaceState(null, "", url);
      });
    });
    var fromHash = window.location.hash && nav.querySelector('[data-tab="' + window.location.hash.slice(1) + '"]');
    if (fromHash) bootstrap.Tab.getOrCreateInstance(fromHash).show();
  }

  document.querySelectorAll("[data-customer-form]").forEach(setupCustomerForm);
  var panel = document.getElementById("side-panel");
  if (panel) setupPanel(panel);
  document.querySelectorAll("[data-tabs]").forEach(setupTabs);
})();

// A save refused because someone else changed the record (templates/customers/_stale.html):
// "Usar el valor actual" puts the current value in its field. Delegated: panels load by htmx.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-use-current]");
    if (!button) return;
    var form = button.closest("form") || document.querySelector("form[data-customer-form]");
    var field = form && form.elements[button.dataset.useCurrent];
    if (!field) return;
    if (field.type === "checkbox") field.checked = button.dataset.value === "True" || button.dataset.value === "1";
    else field.value = button.dataset.value;
    field.dispatchEvent(new Event("change", { bubbles: true }));
    field.dispatchEvent(new Event("input", { bubbles: true }));
    var row = button.closest("tr");
    if (row) row.classList.add("table-success");
    button.textContent = "Valor actual puesto";
    button.disabled = true;
  });
})();

// The list's search form asks again only when the question changed. A search box that loses
// focus fires "change" after its own typing already asked for that list: asking again re-drew
// the results under the click that took the focus away, so the menu it opened (Más opciones, a
// row's ⋮) closed at once. Enter (submit) still always asks.
(function () {
  "use strict";
  document.querySelectorAll("form.list-filters").forEach(function (form) {
    var query = function () {
      return new URLSearchParams(new FormData(form)).toString();
    };
    var last = query();
    form.addEventListener("htmx:confirm", function (event) {
      var trigger = event.detail.triggeringEvent;
      var now = query();
      if (trigger && trigger.type !== "submit" && now === last) {
        event.preventDefault();
        return;
      }
      last = now;
    });
  });
})();
