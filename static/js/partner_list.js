// The coordinator's verification page: "Recommend all" without a round trip, and a live count of what is left.
// Without JavaScript the same button submits the form and the server recommends every student left open.
(function () {
  "use strict";
  var form = document.getElementById("verify-form");
  if (!form) {
    return;
  }
  var button = document.getElementById("verify-recommend-all");
  var left = document.getElementById("verify-unanswered");

  function groups() {
    var names = {};
    form.querySelectorAll("input[type=radio][name^='decision-']").forEach(function (input) {
      names[input.name] = names[input.name] || input.checked;
    });
    return names;
  }

  function update() {
    var names = groups();
    var open = Object.keys(names).filter(function (name) { return !names[name]; }).length;
    if (left) {
      left.textContent = left.dataset.template.replace("__N__", String(open));
    }
  }

  if (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      form.querySelectorAll("input[type=radio][value=recommended][name^='decision-']").forEach(function (input) {
        if (!form.querySelector("input[type=radio][name='" + input.name + "']:checked")) {
          input.checked = true;
        }
      });
      update();
    });
  }
  form.addEventListener("change", update);
  update();
})();
