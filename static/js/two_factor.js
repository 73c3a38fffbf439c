/* The print button of the recovery-codes page (no inline handlers: the Content-Security-Policy forbids them).
   Without JavaScript the button stays hidden and the browser's own print command still works. */
(function () {
  "use strict";
  var buttons = document.querySelectorAll("[data-two-factor-print]");
  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
