/* Entry sheet: check each point as it is typed and keep the area subtotals and the total current.
   The server checks everything again; this only saves the user a round trip. */
(function () {
  "use strict";
  var form = document.getElementById("entry-form");
  if (!form) { return; }

  function parse(text) {
    text = (text || "").trim();
    if (text === "") { return { empty: true, value: 0 }; }
    if (!/^\d+([.,]\d+)?$/.test(text)) { return { invalid: true }; }
    return { value: parseFloat(text.replace(",", ".")), text: text };
  }

  function formatVn(value) {
    // Three decimals, decimal comma, dot between thousands: 90,450 and 1.072,000.
    var parts = value.toFixed(3).split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    return parts.join(",");
  }

  function maxText(max) { return String(max).replace(/\.?0+$/, "").replace(".", ","); }

  function check(input) {
    var max = parseFloat(input.dataset.max);
    var result = parse(input.value);
    var message = "";
    if (result.invalid) {
      message = "“" + input.value + "” không phải là số.";
    } else if (!result.empty && (result.value < 0 || result.value > max)) {
      message = "Điểm phải từ 0 đến " + maxText(input.dataset.max) + ".";
    } else if (!result.empty && /[.,]\d{4,}$/.test(result.text)) {
      message = "Điểm chỉ có tối đa 3 chữ số thập phân.";
    }
    var error = document.getElementById(input.getAttribute("aria-describedby"));
    if (error) { error.textContent = message; }
    if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    return message === "" ? (result.value || 0) : 0;
  }

  function recompute() {
    ["self", "appr"].forEach(function (kind) {
      var areas = {};
      var total = 0;
      form.querySelectorAll('[data-kind="' + kind + '"]').forEach(function (el) {
        var row = el.closest("tr");
        if (row && row.classList.contains("not-applicable")) { return; }
        var value = el.tagName === "INPUT" ? check(el) : parseFloat(el.dataset.value || "0") || 0;
        // Thousandths are exact in integer arithmetic: avoid 0.1 + 0.2 drift in the displayed sums.
        var milli = Math.round(value * 1000);
        areas[el.dataset.area] = (areas[el.dataset.area] || 0) + milli;
        total += milli;
      });
      form.querySelectorAll(".subtotal-" + kind).forEach(function (el) {
        el.textContent = formatVn((areas[el.dataset.area] || 0) / 1000);
      });
      var totalEl = document.getElementById("total-" + kind);
      if (totalEl) { totalEl.textContent = formatVn(total / 1000); }
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
