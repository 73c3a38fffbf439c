/* "Busy, retrying in N s" (issue 14, core/admission.py). When the portal answers 503 with Retry-After, the page
   waits that long (plus a little random spread, so a crowd does not come back in step) and sends the same
   request again by itself:
   - an htmx request: its element's request again, the server's note shown beside the element meanwhile;
   - a plain page or form post: the 503 page itself (core/busy.html) reloads, or sends the form it carries again.
   The note's text and number come from the server, in the visitor's language; this only counts down. */
(function () {
  "use strict";
  var MAX_TRIES = 20;

  function delay(seconds) {
    return (Math.max(1, seconds) + Math.random()) * 1000;
  }

  function countDown(note, seconds) {
    var span = note.querySelector("[data-busy-seconds]");
    var left = seconds;
    var timer = window.setInterval(function () {
      left -= 1;
      if (span && left >= 0) { span.textContent = String(left); }
      if (left <= 0) { window.clearInterval(timer); }
    }, 1000);
  }

  // The 503 page of a plain request.
  function retryPage() {
    var note = document.body.hasAttribute("data-busy-page") && document.querySelector("[data-busy-retry]");
    if (!note || note.hasAttribute("data-busy-manual")) { return; }
    var seconds = parseInt(note.getAttribute("data-busy-retry"), 10) || 2;
    countDown(note, seconds);
    window.setTimeout(function () {
      var form = document.querySelector("form[data-busy-form]");
      if (form) { form.submit(); } else { window.location.reload(); }
    }, delay(seconds));
  }

  // An htmx request answered 503: no swap, a note beside the element, the same request again later.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (!detail.xhr || detail.xhr.status !== 503) { return; }
    detail.shouldSwap = false;
    detail.isError = false;
    var config = detail.requestConfig || {};
    var source = config.elt || detail.elt;
    if (!source || !source.isConnected) { return; }
    var tries = (parseInt(source.getAttribute("data-busy-tries"), 10) || 0) + 1;
    source.setAttribute("data-busy-tries", String(tries));
    var seconds = parseInt(detail.xhr.getResponseHeader("Retry-After"), 10) || 2;
    var parsed = new DOMParser().parseFromString(detail.xhr.responseText, "text/html");
    var note = parsed.querySelector("[data-busy-retry]");
    var old = source.parentNode && source.parentNode.querySelector(".busy-note");
    if (old) { old.remove(); }
    if (!note) { return; }
    note = document.importNode(note, true);
    source.insertAdjacentElement("afterend", note);
    if (tries > MAX_TRIES) { return; }
    countDown(note, seconds);
    window.setTimeout(function () {
      note.remove();
      if (source.isConnected) { window.htmx.ajax(config.verb || "get", config.path, {source: source}); }
    }, delay(seconds));
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", retryPage);
  } else {
    retryPage();
  }
}());
