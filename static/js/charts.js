/* Charts drawn from the page's own tables: every <table data-chart="line|bar|bar-stacked"> gets a chart
   (Chart.js, static/vendor/chartjs/) inserted before it. The numbers are read from the table itself, which
   stays in the page as the accessible version; without JavaScript or Chart.js the page simply shows the table.

   The contract for templates (load vendor/chartjs/chart.umd.min.js first, both with defer):
   - data-chart on the <table>: "line", "bar" or "bar-stacked"; the first column holds the labels
     (years, blocks), read from the cell's data-label if given, else its text.
   - data-series on a header <th> marks the column as a series; its value, if not empty, is the legend name,
     else the header's text. "bar-stacked" without any data-series takes every column after the first.
   - data-axis="rank" on a series header (line charts): a second y axis on the right, reversed (1 at the top),
     whole numbers only; a cell "3/20" reads as rank 3 of 20 (the axis then runs from 1 to 20).
   - data-color="#0f6b3a" (or a custom property such as "--xuat-sac") on a series header; else a fixed palette.
   - data-min / data-max on a series header: the limits of its axis (e.g. 0 and 100).
   - on the table, optional: data-chart-height (pixels), data-chart-orient="horizontal" (bars only).
   - a cell is read from its data-value if given, else its text, in the Vietnamese way: "90,450" is 90.45,
     "1.072,5" is 1072.5; "—", "-" or an empty cell is a gap. Rows marked data-chart-skip and the <tfoot>
     are left out.
   Once drawn: data-chart-drawn="true" on the table, data-points (numbers drawn) on the canvas. */
(function () {
  "use strict";

  // The portal's way of writing numbers: dot between thousands, decimal comma; an optional sign.
  var VN_NUMBER = /^([-+]?)(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?$/;
  // Colour-blind-safe by hue and dark enough for white backgrounds (after Okabe and Ito).
  var PALETTE = ["#0b4f9c", "#c75400", "#0f6b3a", "#8f3f7f", "#6b4c9a", "#8a5a00", "#1d7fa8", "#a4161a"];
  var POINT_STYLES = ["circle", "triangle", "rect", "rectRot", "star", "crossRot"];
  var DASHES = [[], [6, 4], [2, 3], [8, 3, 2, 3]];

  function parseVn(text) {
    if (text === null || text === undefined) { return null; }
    var s = String(text).replace(/[\s\u00a0\u202f]+/g, "").replace(/^\u2212/, "-");
    var match = VN_NUMBER.exec(s);
    if (!match) { return null; }
    var value = Number(match[2].replace(/\./g, "") + (match[3] ? "." + match[3] : ""));
    if (!isFinite(value)) { return null; }
    return match[1] === "-" && value !== 0 ? -value : value;
  }

  function formatVn(value) {
    // At most three decimals, no trailing zeros: 90,45; 1.072,5; 12.
    if (typeof value !== "number" || !isFinite(value)) { return ""; }
    var sign = value < 0 ? "-" : "";
    var parts = Math.abs(value).toFixed(3).replace(/\.?0+$/, "").split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    return sign + whole + (parts[1] ? "," + parts[1] : "");
  }

  function clean(text) { return (text || "").replace(/\s+/g, " ").trim(); }

  // Rows as a grid of columns, with rowspan and colspan spread over the places they cover.
  function grid(rows) {
    var out = [];
    rows.forEach(function (row, r) {
      out[r] = out[r] || [];
      var c = 0;
      Array.prototype.forEach.call(row.cells, function (cell) {
        while (out[r][c]) { c += 1; }
        for (var dr = 0; dr < (cell.rowSpan || 1); dr += 1) {
          out[r + dr] = out[r + dr] || [];
          for (var dc = 0; dc < (cell.colSpan || 1); dc += 1) { out[r + dr][c + dc] = cell; }
        }
        c += cell.colSpan || 1;
      });
    });
    return out;
  }

  function readTable(table) {
    var headRows, bodyRows = [];
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) { bodyRows.push(row); });
    });
    if (table.tHead && table.tHead.rows.length) {
      headRows = Array.prototype.slice.call(table.tHead.rows);
    } else {
      headRows = bodyRows.splice(0, 1);  // no <thead>: the first row is the header
    }
    var head = grid(headRows), body = grid(bodyRows);
    var headers = head.length ? head[head.length - 1] : [];  // the lowest header cell of each column
    var included = bodyRows.map(function (row) { return !row.hasAttribute("data-chart-skip"); });
    var labels = [];
    body.forEach(function (cells, r) {
      if (!included[r] || !cells[0]) { return; }
      labels.push(cells[0].getAttribute("data-label") || clean(cells[0].textContent));
    });

    var kind = table.getAttribute("data-chart");
    var marked = [];
    headers.forEach(function (th, c) {
      if (c > 0 && th && th.hasAttribute("data-series") && marked.indexOf(c) < 0) { marked.push(c); }
    });
    if (!marked.length && kind === "bar-stacked") {
      headers.forEach(function (th, c) { if (c > 0 && th && marked.indexOf(c) < 0) { marked.push(c); } });
    }
    if (kind === "bar") { marked = marked.slice(0, 1); }

    var series = marked.map(function (c) {
      var th = headers[c];
      var rank = th.getAttribute("data-axis") === "rank";
      var values = [], texts = [], outOf = null;
      body.forEach(function (cells, r) {
        if (!included[r] || !cells[0]) { return; }
        var cell = cells[c];
        var text = cell ? clean(cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent) : "";
        text = text.replace(/\s*[*\u2020]+$/, "");  // footnote marks: "90,450*"
        var value = null;
        var of = rank ? /^(\d+)\s*\/\s*(\d+)$/.exec(text) : null;  // "3/20": rank 3 of 20
        if (of) {
          value = Number(of[1]);
          outOf = Math.max(outOf || 0, Number(of[2]));
        } else {
          value = parseVn(text);
        }
        values.push(value);
        texts.push(value === null ? "" : text);
      });
      return {
        label: th.getAttribute("data-series") || clean(th.textContent),
        title: clean(th.textContent),
        rank: rank,
        color: colour(th.getAttribute("data-color")),
        min: parseVn(th.getAttribute("data-min")),
        max: parseVn(th.getAttribute("data-max")) || outOf,
        values: values,
        texts: texts
      };
    });
    var corner = headers[0] ? clean(headers[0].textContent) : "";
    return { labels: labels, series: series, corner: corner };
  }

  function colour(value) {
    value = clean(value);
    if (/^--[\w-]+$/.test(value)) {  // a custom property of the portal's stylesheet, e.g. --xuat-sac
      value = clean(window.getComputedStyle(document.documentElement).getPropertyValue(value));
    }
    return /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(value) ? value : null;
  }

  function withAlpha(hex, alpha) {
    if (hex.length === 4) { hex = "#" + hex[1] + hex[1] + hex[2] + hex[2] + hex[3] + hex[3]; }
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
  }

  function numberTicks(extra) {
    var ticks = { callback: function (value) { return formatVn(Number(value)); } };
    Object.keys(extra || {}).forEach(function (key) { ticks[key] = extra[key]; });
    return ticks;
  }

  function axisTitle(text) { return { display: !!text, text: text }; }

  function limits(scale, s) {
    if (s.min !== null) { scale.min = s.min; }
    if (s.max !== null) { scale.max = s.max; }
    return scale;
  }

  function allWhole(series) {
    return series.every(function (s) {
      return s.values.every(function (v) { return v === null || Math.round(v) === v; });
    });
  }

  function config(kind, data, table) {
    var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var texts = data.series.map(function (s) { return s.texts; });
    var horizontal = kind !== "line" && table.getAttribute("data-chart-orient") === "horizontal";
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: reduced ? false : { duration: 400 },
      locale: "vi-VN",
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: {
          position: "bottom",
          labels: kind === "line" ? { usePointStyle: true, boxWidth: 10, boxHeight: 10 } : { boxWidth: 24, boxHeight: 12 }
        },
        tooltip: {
          usePointStyle: kind === "line",
          callbacks: {
            // The tooltip shows the number exactly as the table writes it.
            label: function (item) {
              var text = texts[item.datasetIndex][item.dataIndex] || formatVn(item.parsed[horizontal ? "x" : "y"]);
              return item.dataset.label + ": " + text;
            }
          }
        }
      },
      scales: {}
    };
    var datasets = data.series.map(function (s, i) {
      var color = s.color || PALETTE[i % PALETTE.length];
      var set = { label: s.label, data: s.values, borderColor: color };
      if (kind === "line") {
        set.backgroundColor = color;
        set.yAxisID = s.rank ? "rank" : "y";
        set.borderDash = DASHES[i % DASHES.length];
        set.pointStyle = POINT_STYLES[i % POINT_STYLES.length];
        set.pointRadius = 4;
        set.pointHoverRadius = 6;
        set.borderWidth = 2;
        set.spanGaps = false;  // a year without a result stays a gap
        set.clip = 8;  // a point on the edge (rank 1, a score of 100) is drawn whole
      } else {
        set.backgroundColor = kind === "bar" ? withAlpha(color, 0.85) : color;
        set.borderColor = "#ffffff";  // keeps stacked segments apart without relying on colour
        set.borderWidth = kind === "bar-stacked" ? 1 : 0;
      }
      return set;
    });

    if (kind === "line") {
      var scores = data.series.filter(function (s) { return !s.rank; });
      var ranks = data.series.filter(function (s) { return s.rank; });
      options.scales.x = { title: axisTitle(data.corner) };
      if (scores.length) {
        options.scales.y = limits({
          position: "left",
          title: axisTitle(scores.length === 1 ? scores[0].title : ""),
          ticks: numberTicks(allWhole(scores) ? { precision: 0 } : {})
        }, scores[0]);
      }
      if (ranks.length) {
        var rank = limits({
          position: scores.length ? "right" : "left",
          reverse: true,  // rank 1, the best, at the top
          min: 1,
          title: axisTitle(ranks.length === 1 ? ranks[0].title : ""),
          ticks: numberTicks({ precision: 0 }),
          grid: { drawOnChartArea: !scores.length }
        }, ranks[0]);
        if (rank.max !== undefined && rank.max < 1) { delete rank.max; }
        options.scales.rank = rank;
      }
    } else {
      var stacked = kind === "bar-stacked";
      options.indexAxis = horizontal ? "y" : "x";
      var category = { stacked: stacked, title: axisTitle(data.corner) };
      var value = { stacked: stacked, beginAtZero: true, ticks: numberTicks(allWhole(data.series) ? { precision: 0 } : {}) };
      if (data.series.length === 1) {
        value.title = axisTitle(data.series[0].title);
        limits(value, data.series[0]);
      }
      options.scales[horizontal ? "y" : "x"] = category;
      options.scales[horizontal ? "x" : "y"] = value;
      if (stacked) {
        options.plugins.tooltip.callbacks.footer = function (items) {
          var sum = 0;
          items.forEach(function (item) { sum += item.parsed[horizontal ? "x" : "y"] || 0; });
          return "Tổng: " + formatVn(sum);
        };
      }
    }
    return { type: kind === "line" ? "line" : "bar", data: { labels: data.labels, datasets: datasets }, options: options };
  }

  // Where the chart goes: before the table, or before whatever holds it (a scrolling box, a <details>) —
  // inside the table's <figure>, if it has one, and never inside a box that scrolls sideways.
  function anchorOf(table) {
    var anchor = table;
    var figure = table.closest("figure");
    while (anchor.parentNode && anchor.parentNode !== figure && anchor.parentNode.nodeType === 1) {
      var parent = anchor.parentNode;
      if (figure || parent.tagName === "DETAILS" || parent.classList.contains("table-scroll")) {
        anchor = parent;
      } else {
        break;
      }
    }
    return anchor;
  }

  function height(kind, table, rows) {
    var asked = parseInt(table.getAttribute("data-chart-height") || "", 10);
    if (asked > 0) { return asked; }
    if (kind !== "line" && table.getAttribute("data-chart-orient") === "horizontal") {
      return Math.max(220, rows * 34 + 90);
    }
    return 320;
  }

  var charts = [];

  function draw(table) {
    var kind = table.getAttribute("data-chart");
    if (["line", "bar", "bar-stacked"].indexOf(kind) < 0) { return; }
    var data = readTable(table);
    if (!data.labels.length || !data.series.length) { return; }
    var points = 0;
    data.series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null) { points += 1; } }); });
    if (!points) { return; }

    var box = document.createElement("div");
    box.className = "chart chart--" + kind;
    // CSSOM, not a style attribute: allowed under the portal's style-src 'self'.
    box.style.position = "relative";
    box.style.width = "100%";
    box.style.minWidth = "0";
    box.style.height = height(kind, table, data.labels.length) + "px";
    box.style.marginBottom = "0.75rem";
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    var caption = table.caption ? clean(table.caption.textContent) : "";
    canvas.setAttribute("aria-label", caption || table.getAttribute("aria-label") || "Biểu đồ");
    canvas.setAttribute("data-points", String(points));
    canvas.textContent = caption;  // fallback text for browsers without canvas
    box.appendChild(canvas);
    var anchor = anchorOf(table);
    anchor.parentNode.insertBefore(box, anchor);
    try {
      charts.push(new window.Chart(canvas, config(kind, data, table)));
    } catch (error) {
      box.parentNode.removeChild(box);  // the table alone is still the whole story
      throw error;
    }
    table.setAttribute("data-chart-drawn", "true");
  }

  function drawAll() {
    if (typeof window.Chart !== "function") { return; }  // the library did not load: tables only
    var style = window.getComputedStyle(document.body);
    window.Chart.defaults.font.family = style.fontFamily;
    window.Chart.defaults.color = style.color;
    document.querySelectorAll("table[data-chart]").forEach(function (table) {
      if (table.getAttribute("data-chart-drawn") === "true") { return; }
      try {
        draw(table);
      } catch (error) {
        if (window.console) { window.console.error("charts.js:", error); }
      }
    });
  }

  // Printing: fit the charts to the paper's width, finished (never caught halfway through an animation).
  function forPaper() {
    charts.forEach(function (chart) {
      chart.options.animation = false;
      chart.resize();
      chart.update("none");
    });
  }
  window.addEventListener("beforeprint", forPaper);
  if (window.matchMedia) {
    var print = window.matchMedia("print");
    var onChange = function (event) { if (event.matches) { forPaper(); } };
    if (print.addEventListener) { print.addEventListener("change", onChange); } else if (print.addListener) { print.addListener(onChange); }
  }

  window.cchcParseVn = parseVn;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
