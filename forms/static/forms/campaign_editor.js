// The campaign page editor: the personal-field chooser offers only what the purpose allows,
// each row shows only the settings that apply to it, and the whitelist screen's verdict
// appears while the marketer types (POST to the admin's screen-check endpoint).
(function () {
  "use strict";

  function start() {
  var configNode = document.getElementById("campaign-editor-config");
  var purposeSelect = document.getElementById("id_purpose");
  var totalForms = document.getElementById("id_form_fields-TOTAL_FORMS");
  if (!configNode || !purposeSelect || !totalForms) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var form = purposeSelect.form;
  var PERSONAL_ONLY = ["field_key"];
  var QUESTION_ONLY = ["field_type", "choices", "default_value"];
  var allKeyOptions = null;

  function field(index, name) {
    return document.getElementById("id_form_fields-" + index + "-" + name);
  }

  function wrapper(element) {
    return element && (element.closest("[data-field-wrapper]") || element.closest(".w-field__wrapper"));
  }

  function rowContainer(index) {
    var kind = field(index, "kind");
    return kind && (kind.closest("[data-inline-panel-child]") || kind.closest("[id^='inline_child_']"));
  }

  function isDeleted(index) {
    var deleted = field(index, "DELETE");
    return !deleted || deleted.value === "1" || deleted.checked;
  }

  function allowedKeys() {
    var entry = config.whitelist[purposeSelect.value];
    return entry ? entry.keys : null;
  }

  function filterKeyChoices(select) {
    if (!select) {
      return;
    }
    if (!select.dataset.allOptions) {
      select.dataset.allOptions = JSON.stringify(
        Array.prototype.map.call(select.options, function (o) {
          return [o.value, o.textContent];
        })
      );
    }
    var options = JSON.parse(select.dataset.allOptions);
    var keys = allowedKeys();
    var current = select.value;
    select.innerHTML = "";
    options.forEach(function (pair) {
      var allowed = !pair[0] || !keys || keys.indexOf(pair[0]) !== -1;
      if (allowed || pair[0] === current) {
        var option = document.createElement("option");
        option.value = pair[0];
        option.textContent = allowed ? pair[1] : pair[1] + " " + config.labels.notAllowed;
        option.selected = pair[0] === current;
        select.appendChild(option);
      }
    });
  }

  function showFor(index) {
    var kind = field(index, "kind");
    if (!kind) {
      return;
    }
    var personal = kind.value !== "question";
    PERSONAL_ONLY.forEach(function (name) {
      var w = wrapper(field(index, name));
      if (w) {
        w.hidden = !personal;
      }
    });
    QUESTION_ONLY.forEach(function (name) {
      var w = wrapper(field(index, name));
      if (w) {
        w.hidden = personal;
      }
    });
    filterKeyChoices(field(index, "field_key"));
  }

  function eachRow(callback) {
    var count = parseInt(totalForms.value, 10) || 0;
    for (var i = 0; i < count; i += 1) {
      if (field(i, "kind")) {
        callback(i);
      }
    }
  }

  function liveRows() {
    var rows = [];
    eachRow(function (i) {
      if (isDeleted(i)) {
        return;
      }
      var order = field(i, "ORDER");
      var required = field(i, "required");
      rows.push({
        index: i,
        order: order && order.value ? parseInt(order.value, 10) : 1000 + i,
        kind: field(i, "kind").value,
        field_key: (field(i, "field_key") || {}).value || "",
        label: (field(i, "label") || {}).value || "",
        help_text: (field(i, "help_text") || {}).value || "",
        field_type: (field(i, "field_type") || {}).value || "singleline",
        choices: (field(i, "choices") || {}).value || "",
        default_value: (field(i, "default_value") || {}).value || "",
        required: !!(required && required.checked),
      });
    });
    rows.sort(function (a, b) {
      return a.order - b.order;
    });
    return rows;
  }

  var banner = document.createElement("div");
  banner.className = "campaign-screen";
  banner.setAttribute("role", "status");
  banner.setAttribute("aria-live", "polite");
  banner.setAttribute("data-testid", "campaign-screen");
  var rowsSection = totalForms.closest("section") || totalForms.parentNode;
  rowsSection.insertBefore(banner, rowsSection.firstChild);

  function clearNotes() {
    Array.prototype.forEach.call(document.querySelectorAll(".campaign-row-note"), function (note) {
      note.remove();
    });
  }

  function note(index, kind, message) {
    var container = rowContainer(index);
    if (!container) {
      return;
    }
    var p = document.createElement("p");
    p.className = "campaign-row-note";
    p.dataset.kind = kind;
    p.setAttribute("data-testid", "campaign-row-note");
    p.textContent = message;
    container.appendChild(p);
  }

  function render(result, rows) {
    clearNotes();
    banner.dataset.verdict = result.verdict || "";
    banner.textContent = result.message || "";
    var general = [];
    (result.problems || []).concat(result.reviews || []).forEach(function (item, n) {
      var kind = n < (result.problems || []).length ? "problem" : "review";
      if (item.row === null || item.row === undefined || !rows[item.row]) {
        general.push(item.message);
      } else {
        note(rows[item.row].index, kind, item.message);
      }
    });
    if (general.length) {
      var list = document.createElement("ul");
      general.forEach(function (message) {
        var li = document.createElement("li");
        li.textContent = message;
        list.appendChild(li);
      });
      banner.appendChild(list);
    }
  }

  var timer = null;
  var sequence = 0;
  function check() {
    var rows = liveRows();
    var cities = document.getElementById("id_cities");
    var pageMatch = window.location.pathname.match(/\/pages\/(\d+)\/edit\//);
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    var mine = (sequence += 1);
    fetch(config.screenUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" },
      body: JSON.stringify({
        purpose: purposeSelect.value,
        page: pageMatch ? pageMatch[1] : null,
        cities: cities ? cities.value : "",
        rows: rows,
      }),
    })
      .then(function (response) {
        return response.ok ? response.json() : { verdict: "", message: config.labels.unavailable };
      })
      .then(function (result) {
        if (mine === sequence) {
          render(result, rows);
        }
      })
      .catch(function () {
        banner.textContent = config.labels.unavailable;
      });
  }

  function scheduleCheck() {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 400);
  }

  function refreshAll() {
    eachRow(showFor);
    scheduleCheck();
  }

  form.addEventListener("change", function (event) {
    var match = event.target.id && event.target.id.match(/^id_form_fields-(\d+)-kind$/);
    if (match) {
      showFor(parseInt(match[1], 10));
    }
    if (event.target === purposeSelect) {
      eachRow(showFor);
    }
    scheduleCheck();
  });
  form.addEventListener("input", scheduleCheck);
  // Rows added by the inline panel get their choices; deleting or moving a row is a click.
  function ours(node) {
    return node.nodeType === 1 && (node === banner || node.classList.contains("campaign-row-note"));
  }
  new MutationObserver(function (mutations) {
    var added = mutations.some(function (m) {
      return Array.prototype.some.call(m.addedNodes, function (node) {
        return node.nodeType === 1 && !ours(node) && !banner.contains(node);
      });
    });
    if (!added) {
      return;
    }
    eachRow(function (i) {
      var select = field(i, "field_key");
      if (select && !select.dataset.campaignReady) {
        select.dataset.campaignReady = "1";
        showFor(i);
      }
    });
    scheduleCheck();
  }).observe(rowsSection, { childList: true, subtree: true });
  rowsSection.addEventListener("click", function (event) {
    if (event.target.closest("button")) {
      window.setTimeout(scheduleCheck, 50);
    }
  });

  refreshAll();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
