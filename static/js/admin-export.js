// The admin's export page: "Select all" ticks or clears every field to export. The package binds it with an inline
// onchange handler, which the site's Content-Security-Policy refuses; templates/admin/import_export/export.html drops
// the handler and this binds the same behaviour.
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.getElementById("select-all-toggle");
  if (!toggle) return;
  toggle.addEventListener("change", () => {
    document.querySelectorAll('.selectable-field-export-row input[type="checkbox"]').forEach((box) => {
      box.checked = toggle.checked;
    });
  });
});
