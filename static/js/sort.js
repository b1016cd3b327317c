/* Sortable tables: a table marked data-sortable gets a button in each header; the cells' data-value (numbers
   written the Vietnamese way: 90,450) are compared; aria-sort says the order; "TT" restores the published
   order. Without the script the table is simply the published one. */
(function () {
  "use strict";

  function value(cell, kind) {
    var text = cell ? (cell.getAttribute("data-value") || cell.textContent) : "";
    if (kind !== "number") { return text.trim().toLocaleLowerCase("vi"); }
    var normal = text.replace(/\./g, "").replace(",", ".").replace("−", "-").replace("±", "");
    var number = parseFloat(normal);
    return isNaN(number) ? null : number;
  }

  function sortBy(table, index, kind, descending) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a.cells[index], kind), y = value(b.cells[index], kind);
      if (x === null && y === null) { return 0; }
      if (x === null) { return 1; }  // no value: always last
      if (y === null) { return -1; }
      var order = kind === "number" ? x - y : x.localeCompare(y, "vi");
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (th, index) {
      var kind = th.getAttribute("data-sort");
      if (!kind) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      // Printed, the header is repeated on every page, where Chromium paints no button: the label is printed instead.
      th.setAttribute("data-label", button.textContent.trim());
      button.addEventListener("click", function () {
        // Columns marked data-sort-first="descending" (scores, changes) sort highest first; the rest ascending
        // (names, ranks: best first); a second click reverses.
        var current = th.getAttribute("aria-sort");
        var firstDescending = th.getAttribute("data-sort-first") === "descending";
        var descending = current ? current === "ascending" : firstDescending;
        Array.prototype.forEach.call(headers, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        sortBy(table, index, kind, descending);
      });
    });
  });
})();
