/* Ticks the countdowns of the home page. The server renders the remaining seconds (computed on its
   clock, Asia/Seoul windows) and the text; this only counts down from there, so a wrong clock on the
   visitor's computer changes nothing. Units come from data attributes, already translated. */
(function () {
  "use strict";
  var nodes = document.querySelectorAll("[data-countdown-seconds]");
  if (!nodes.length) { return; }
  var root = document.querySelector("[data-countdown-units]") || document.body;
  var dayOne = root.getAttribute("data-day-one") || "%(n)s day";
  var dayOther = root.getAttribute("data-day-other") || "%(n)s days";
  var doneText = root.getAttribute("data-done") || "0";
  var started = window.performance.now();  // monotonic: immune to clock changes while the page is open

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function format(left) {
    var days = Math.floor(left / 86400);
    var rest = left % 86400;
    var clock = pad(Math.floor(rest / 3600)) + ":" + pad(Math.floor((rest % 3600) / 60)) + ":" + pad(rest % 60);
    if (!days) { return clock; }
    return (days === 1 ? dayOne : dayOther).replace("%(n)s", String(days)) + " " + clock;
  }

  function tick() {
    var elapsed = Math.floor((window.performance.now() - started) / 1000);
    for (var i = 0; i < nodes.length; i++) {
      var left = parseInt(nodes[i].getAttribute("data-countdown-seconds"), 10) - elapsed;
      nodes[i].textContent = left > 0 ? format(left) : doneText;
    }
  }

  tick();
  window.setInterval(tick, 1000);
})();
