/* Entry sheet: check each point as it is typed and keep the area subtotals and the total current.
   The server checks everything again; this only saves the user a round trip. */
(function () {
  "use strict";
  var form = document.getElementById("entry-form");
  if (!form) { return; }

  // The portal's one number rule (docs/scoring.md, "Reading numbers"), in exact thousandths: an optional
  // minus sign, digits, at most one decimal mark (comma or dot); trailing zeros do not count as decimals.
  var NUMBER = /^(-?)(\d+)(?:[.,](\d+))?$/;

  function parse(text) {
    text = (text || "").trim();
    if (text === "") { return { empty: true, milli: 0 }; }
    var match = NUMBER.exec(text);
    if (!match) { return { problem: "notANumber", value: text }; }
    var whole = match[2].replace(/^0+(?=\d)/, ""), fraction = (match[3] || "").replace(/0+$/, "");
    var shown = match[1] + whole + (fraction ? "," + fraction : "");
    if (match[1] === "-" && (whole !== "0" || fraction)) { return { problem: "negative", value: shown }; }
    if (fraction.length > 3) { return { problem: "tooPrecise", value: text }; }
    if (whole.length > 4) { return { problem: "tooLarge", value: shown }; }
    return { milli: parseInt(whole, 10) * 1000 + parseInt((fraction + "000").slice(0, 3), 10), value: shown };
  }

  function formatVn(milli) {
    // Three decimals, decimal comma, dot between thousands: 90,450 and 1.072,000.
    var whole = String(Math.floor(milli / 1000)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    return whole + "," + String(milli % 1000).padStart(3, "0");
  }

  function message(code, value, max) {
    return form.dataset["msg" + code.charAt(0).toUpperCase() + code.slice(1)]
      .replace("{value}", value).replace("{maximum}", max.value.replace(/^0+(?=\d)/, ""));
  }

  function check(input) {
    var max = parse(input.dataset.max);
    var result = parse(input.value);
    var problem = result.problem || (!result.empty && result.milli > max.milli ? "aboveMax" : "");
    var text = problem ? message(problem, result.value, max) : "";
    var error = document.getElementById(input.getAttribute("aria-describedby"));
    if (error) { error.textContent = text; }
    if (text) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    return text === "" ? result.milli : 0;
  }

  // Which column of the area subtotals each kind of points adds to: the unit's own points (self-assessed, and the
  // bonus it proposes), and the appraised column (appraised, survey, bonus given, deduction).
  var COLUMN = { self: "self", proposed: "self", appr: "appr", survey: "appr", bonus: "appr", deduction: "appr" };

  function recompute() {
    // The totals keep self-assessment, appraisal of the same leaves, survey points, the bonus proposed and given
    // and the deduction apart, as the server does (scoring/figures.py).
    var totals = { self: 0, proposed: 0, appr: 0, survey: 0, bonus: 0, deduction: 0 };
    var areas = { self: {}, appr: {} };
    form.querySelectorAll("[data-kind]").forEach(function (el) {
      var row = el.closest("tr");
      if (row && row.classList.contains("not-applicable")) { return; }
      // Thousandths are exact in integer arithmetic: no 0.1 + 0.2 drift in the displayed sums.
      var milli = el.tagName === "INPUT" ? check(el) : (parse(el.dataset.value).milli || 0);
      var kind = el.dataset.kind, column = COLUMN[kind];
      if (!column) { return; }
      totals[kind] += milli;
      areas[column][el.dataset.area] = (areas[column][el.dataset.area] || 0) + milli;
    });
    ["self", "appr"].forEach(function (column) {
      form.querySelectorAll(".subtotal-" + column).forEach(function (el) {
        el.textContent = formatVn(areas[column][el.dataset.area] || 0);
      });
    });
    Object.keys(totals).forEach(function (kind) {
      var totalEl = document.getElementById("total-" + kind);
      if (totalEl) { totalEl.textContent = formatVn(totals[kind]); }
    });
  }

  // Whether a move would be refused as the page stands, typing included (scoring/workflow.py): a submission
  // (_incomplete) with a self-assessed leaf without points, or points without evidence or an explanation; a
  // finished appraisal round (_unappraised) with an applicable self-assessed leaf, or a bonus the unit proposed,
  // without appraised points.
  function incomplete(needs) {
    return needs === "self" ? selfIncomplete() : needs === "appraised" ? appraisalIncomplete() : false;
  }

  function appraisalIncomplete() {
    return Array.prototype.some.call(form.querySelectorAll("tr.leaf[data-method]"), function (row) {
      var input = row.querySelector('input.points[name$="-appraised_points"]');
      if (!input || row.classList.contains("not-applicable") || !parse(input.value).empty) { return false; }
      if (row.dataset.method === "self") { return true; }
      var proposed = row.querySelector('[data-kind="proposed"]');
      var value = proposed ? (proposed.tagName === "INPUT" ? proposed.value : proposed.dataset.value) : "";
      return row.dataset.method === "bonus" && Boolean(parse(value).milli);
    });
  }

  function selfIncomplete() {
    return Array.prototype.some.call(form.querySelectorAll("tr.leaf[data-method]"), function (row) {
      var input = row.querySelector('input.points[name$="-self_points"]');
      if (!input || row.classList.contains("not-applicable")) { return false; }
      var points = parse(input.value);
      if (points.empty) { return row.dataset.method === "self"; }
      if (points.problem || !points.milli || row.dataset.backed) { return false; }
      var text = row.querySelector('textarea[name$="-explanation"]');
      return text ? text.value.trim() === "" : !row.dataset.explained;
    });
  }

  // Unsaved changes: warn before the page is left by anything but one of the form's own buttons.
  var dirty = form.dataset.dirty === "1";  // a page shown again with values that were not saved
  form.addEventListener("input", function (event) { if (event.target.name) { dirty = true; } });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) { return; }
    event.preventDefault();
    event.returnValue = form.dataset.msgLeave;
    return form.dataset.msgLeave;
  });

  // "Only what needs work": hide every leaf without a reason to act and the headings left empty.
  var only = document.getElementById("chi-can-xu-ly");
  var table = document.getElementById("bang-cham-diem");
  if (only && table) {
    only.addEventListener("change", function () { table.classList.toggle("only-attention", only.checked); });
  }

  form.addEventListener("input", function (event) {
    if (event.target.classList.contains("points")) { recompute(); }
  });
  form.addEventListener("change", function (event) {
    if (event.target.name) { dirty = true; }
    if (event.target.type === "checkbox" && /-not_applicable$/.test(event.target.name)) {
      event.target.closest("tr").classList.toggle("not-applicable", event.target.checked);
      recompute();
    }
  });
  // The session: typing keeps it alive (at most one call every five minutes, or every fifth of a shorter idle
  // limit); a warning comes as long before it would expire; a save first makes sure it is alive and takes the
  // current form token, so a person who signed in again in another tab does not lose what they typed here.
  var banner = document.getElementById("phien");
  function sessionSeconds() { return parseInt(form.dataset.sessionSeconds || "1800", 10); }
  var keepSeconds = Math.min(300, parseInt(form.dataset.sessionLimit || "1800", 10) / 5);
  if (banner) {
    banner.dataset.msgSoon = banner.dataset.msgSoon.replace("{minutes}", String(Math.max(1, Math.round(keepSeconds / 60))));
  }
  var lastContact = Date.now();
  var pinging = null;

  function say(kind, button) {
    if (!banner) { return; }
    banner.textContent = kind ? banner.dataset["msg" + kind] : "";
    banner.hidden = !kind;
    // A warning of the clock floats at the bottom of the window, wherever the person has scrolled to.
    banner.classList.toggle("floating", Boolean(kind) && !button);
    if (kind && button) {
      // Said in answer to a button: beside that button, where the person is looking (it may be 7,000 px below
      // the top of the sheet), not at the top of the form.
      (button.closest(".form-actions") || button).insertAdjacentElement("afterend", banner);
      banner.scrollIntoView({ block: "nearest" });
    }
  }

  function ping() {
    if (pinging) { return pinging; }
    pinging = fetch(form.dataset.keepalive, {
      credentials: "same-origin", redirect: "manual", headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("expired"); }
      return response.json();
    }).then(function (data) {
      form.querySelectorAll('input[name="csrfmiddlewaretoken"]').forEach(function (input) { input.value = data.csrf; });
      // What the session has from now on: the whole limit, or less when a request a moment before wrote it.
      if (typeof data.seconds === "number") { form.dataset.sessionSeconds = String(data.seconds); }
      lastContact = Date.now();
      say("");
      return true;
    }).catch(function () {
      say("Expired");
      return false;
    }).finally(function () { pinging = null; });
    return pinging;
  }

  form.addEventListener("input", function () {
    if (Date.now() - lastContact > keepSeconds * 1000) { ping(); }
  });
  window.setInterval(function () {
    var idle = (Date.now() - lastContact) / 1000;
    if (idle > sessionSeconds()) { say("Expired"); } else if (idle > sessionSeconds() - keepSeconds) { say("Soon"); }
  }, Math.min(30, keepSeconds / 2) * 1000);

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (form.dataset.checked === "1") {  // sent again once the session was checked: go
      form.dataset.checked = "";
      dirty = false;
      return;
    }
    recompute();
    var bad = form.querySelector('input.points[aria-invalid="true"]');  // text fields the server marked may be fixed
    if (bad) {
      event.preventDefault();
      bad.focus();
      return;
    }
    // A submission the server will refuse is not asked about first: it is sent, the typing is saved and the
    // answer lists what is missing.
    var refused = button && incomplete(button.dataset.needs);
    if (button && button.dataset.confirm && !refused && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    var checkAfter = parseInt(form.dataset.pingAfter || "60", 10) * 1000;
    if (Date.now() - lastContact <= checkAfter) {
      dirty = false;
      return;
    }
    event.preventDefault();
    ping().then(function (alive) {
      if (!alive) { say("Expired", button || form.querySelector(".form-actions button")); return; }
      form.dataset.checked = "1";
      if (form.requestSubmit) { form.requestSubmit(button || undefined); } else { form.submit(); }
    });
  });
  recompute();
})();
