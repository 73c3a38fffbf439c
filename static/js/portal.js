/* What the templates used to do inline: the Content-Security-Policy (script-src 'self') runs no inline
   script and no on…= handler, so the pages mark elements with data attributes and this file acts on them.

   select[data-autosubmit]  submits its form when changed (language, term pickers; a <noscript> button stays)
   select[data-navigate]    opens the URL of the chosen option
   [data-print]             prints the page
   [data-percent]           a progress bar's width, set through the CSSOM (allowed; style="" is not),
                            again whenever htmx swaps in new content. */
(function () {
  "use strict";

  function setWidths(root) {
    var bars = root.querySelectorAll ? root.querySelectorAll("[data-percent]") : [];
    for (var i = 0; i < bars.length; i++) {
      var percent = parseFloat(bars[i].getAttribute("data-percent"));
      if (!isNaN(percent)) {
        bars[i].style.width = Math.max(0, Math.min(100, percent)) + "%";
      }
    }
  }

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!(field instanceof HTMLSelectElement)) { return; }
    if (field.hasAttribute("data-autosubmit") && field.form) {
      field.form.submit();
    } else if (field.hasAttribute("data-navigate") && field.value) {
      window.location.assign(field.value);
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target instanceof Element && event.target.closest("[data-print]")) {
      window.print();
    }
  });

  document.addEventListener("htmx:load", function (event) { setWidths(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setWidths(document); });
  } else {
    setWidths(document);
  }
}());
