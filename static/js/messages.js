/* The page the server answered with. What it says (a flash message, or the list of what was refused) is where the
   person looks first: once the page is drawn, focus moves to it, so it is in view and read out, unless something
   else was focused. And a page drawn in answer to a form (a refusal shown with what was typed) is made an
   ordinary entry of the history, so that Back, Forward and Reload fetch it again instead of offering to send the
   form a second time. */
(function () {
  "use strict";
  if (window.history && window.history.replaceState) {
    window.history.replaceState(window.history.state, "", window.location.href);
  }
  var answer = document.querySelector("main .messages, main .errors[role=alert]");
  if (!answer || (document.activeElement && document.activeElement !== document.body)) { return; }
  // A field the page focuses itself (the sign-in form's name, a code to type) keeps the focus; the answer, read
  // out as an alert, is still brought into view.
  if (!document.querySelector("[autofocus]")) {
    if (!answer.hasAttribute("tabindex")) { answer.setAttribute("tabindex", "-1"); }
    answer.focus({ preventScroll: true });
  }
  var box = answer.getBoundingClientRect();
  if (box.top < 0 || box.bottom > window.innerHeight) { answer.scrollIntoView({ block: "nearest" }); }
})();
