/* The periodic-task admin form of django-celery-beat, without its inline script (CSP script-src 'self'):
   under the crontab field, show the schedule in words; templates/admin/djcelery/change_periodictask_form.html
   renders the translations as a JSON block and the field's help text in data-crontab-help. */
(function () {
  "use strict";
  var script = document.getElementById("periodic-task-overrides");
  var data = document.getElementById("readable-crontabs");
  var $ = window.django && window.django.jQuery;
  if (!script || !data || !$) { return; }
  var readableCrontabs = JSON.parse(data.textContent);
  var originalHelp = script.getAttribute("data-crontab-help") || "";

  function updateHelp(additional) {
    var help = $(".field-crontab .help");
    help.text(originalHelp);
    if (additional) {
      help.append(document.createElement("br"), document.createTextNode("Translation: " + additional));
    }
  }

  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    updateHelp(readableCrontabs[$("#id_crontab").val()]);
  });
}());
