// The PDP console's small script: loading state on submit, keyboard
// shortcuts, JSON formatting. Every page works without it.
(function () {
  "use strict";

  function busy(form) {
    var note = document.getElementById("busy");
    if (note) { note.hidden = false; }
    document.body.setAttribute("aria-busy", "true");
    var buttons = form.querySelectorAll("button[type=submit]");
    for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = true; }
  }

  // Drop empty fields from a GET form, so that links stay short.
  function prune(form) {
    if ((form.getAttribute("method") || "get").toLowerCase() !== "get") { return; }
    var fields = form.querySelectorAll("input[name], select[name]");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value === "") { fields[i].disabled = true; }
    }
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.hasAttribute("data-busy")) { return; }
    prune(form);
    busy(form);
  });

  // A page restored from the back-forward cache must not stay busy.
  window.addEventListener("pageshow", function () {
    var note = document.getElementById("busy");
    if (note) { note.hidden = true; }
    document.body.removeAttribute("aria-busy");
    var buttons = document.querySelectorAll("button[disabled]");
    for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = false; }
    var fields = document.querySelectorAll("input[disabled], select[disabled]");
    for (var j = 0; j < fields.length; j++) { fields[j].disabled = false; }
  });

  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  document.addEventListener("keydown", function (ev) {
    var el = document.activeElement;
    if (ev.key === "/" && !typing(el) && !ev.ctrlKey && !ev.metaKey) {
      var first = document.querySelector("[data-first]");
      if (first) { ev.preventDefault(); first.focus(); }
    } else if (ev.key === "Escape" && typing(el)) {
      el.blur();
    } else if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && el && el.form) {
      ev.preventDefault();
      if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
    }
  });

  document.addEventListener("click", function (ev) {
    var target = ev.target.closest ? ev.target.closest("[data-format-json]") : null;
    if (!target) { return; }
    var area = document.getElementById(target.getAttribute("data-format-json"));
    try {
      area.value = JSON.stringify(JSON.parse(area.value), null, 2);
      area.removeAttribute("aria-invalid");
    } catch (e) {
      area.setAttribute("aria-invalid", "true");
      window.alert("Not valid JSON: " + e.message);
    }
  });
})();
