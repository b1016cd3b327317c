/* What the server answered (a flash message, or the list of what was refused) is where the person looks first:
   once the page is drawn, focus moves to it, so it is in view and read out, unless something else was focused. */
(function () {
  "use strict";
  var answer = document.querySelector("main .messages, main #loi");
  if (!answer || (document.activeElement && document.activeElement !== document.body)) { return; }
  if (!answer.hasAttribute("tabindex")) { answer.setAttribute("tabindex", "-1"); }
  answer.focus({ preventScroll: true });
  var box = answer.getBoundingClientRect();
  if (box.top < 0 || box.bottom > window.innerHeight) { answer.scrollIntoView({ block: "nearest" }); }
})();
