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

  function recompute() {
    ["self", "appr"].forEach(function (kind) {
      var areas = {};
      var total = 0;
      form.querySelectorAll('[data-kind="' + kind + '"]').forEach(function (el) {
        var row = el.closest("tr");
        if (row && row.classList.contains("not-applicable")) { return; }
        // Thousandths are exact in integer arithmetic: no 0.1 + 0.2 drift in the displayed sums.
        var milli = el.tagName === "INPUT" ? check(el) : (parse(el.dataset.value).milli || 0);
        areas[el.dataset.area] = (areas[el.dataset.area] || 0) + milli;
        total += milli;
      });
      form.querySelectorAll(".subtotal-" + kind).forEach(function (el) {
        el.textContent = formatVn(areas[el.dataset.area] || 0);
      });
      var totalEl = document.getElementById("total-" + kind);
      if (totalEl) { totalEl.textContent = formatVn(total); }
    });
  }

  form.addEventListener("input", function (event) {
    if (event.target.classList.contains("points")) { recompute(); }
  });
  form.addEventListener("change", function (event) {
    if (event.target.type === "checkbox" && event.target.name.indexOf("na-") === 0) {
      event.target.closest("tr").classList.toggle("not-applicable", event.target.checked);
      recompute();
    }
  });
  form.addEventListener("submit", function (event) {
    recompute();
    var bad = form.querySelector('[aria-invalid="true"]');
    if (bad) {
      event.preventDefault();
      bad.focus();
      return;
    }
    var button = event.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) { event.preventDefault(); }
  });
  recompute();
})();
