// The compose form shows only what applies to the choice made: the email recipients for an email,
// the mobile number for an SMS, the period for a statement. Without this script every field shows
// and the server applies the same rules; a field with an error always stays in sight.
(function () {
  "use strict";
  var form = document.getElementById("compose-form");
  if (!form) return;

  function chosen(name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : "";
  }

  function box(id) {
    var element = document.getElementById(id);
    return element ? element.closest(".field") : null;
  }

  function show(field, visible) {
    if (!field) return;
    field.hidden = !visible && !field.classList.contains("has-error");
  }

  function update() {
    var channel = chosen("channel");
    show(box("email-field"), channel === "email");
    show(box("id_phone"), channel === "sms");
    show(box("id_date_from"), chosen("what") === "statement");
  }

  form.addEventListener("change", update);
  update();
})();
