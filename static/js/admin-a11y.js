/* Names for what the admin's own scripts draw without one (cchc_portal/admin_labels.py names the rest):
 * - the magnifier icon of a two-list picker's filter box carries an aria-label on a plain <span>, which a screen
 *   reader may not say: it becomes an image with that name;
 * - an autocomplete box (Select2) is labelled by its own rendered text, empty until something is chosen: it is
 *   labelled by the field's <label> and then by that text.
 * The pickers are drawn after the page loads and again for every row added to an inline, so new nodes are
 * watched. */
(function () {
  "use strict";

  function nameIcons(root) {
    root.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }

  function nameAutocompletes(root) {
    root.querySelectorAll("select.admin-autocomplete[id]").forEach(function (select) {
      var label = document.querySelector('label[for="' + select.id + '"]');
      var box = select.parentNode.querySelector(
        '.select2-selection[aria-labelledby="select2-' + select.id + '-container"]'
      );
      if (!label || !box) return;
      if (!label.id) label.id = select.id + "-nhan";
      var rendered = document.getElementById("select2-" + select.id + "-container");
      box.setAttribute("aria-labelledby", label.id + " " + rendered.id);
      rendered.setAttribute("aria-labelledby", label.id);
    });
  }

  function nameAll() {
    nameIcons(document);
    nameAutocompletes(document);
  }

  var pending = false;
  function soon() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      nameAll();
    });
  }

  window.addEventListener("load", function () {
    nameAll();
    new MutationObserver(soon).observe(document.body, { childList: true, subtree: true });
  });
})();
