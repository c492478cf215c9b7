// While an import runs (the page waits for the server to read, understand and store every
// line), say so and keep the button from being pressed twice.
(function () {
  "use strict";
  var form = document.getElementById("import-form");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    var progress = document.getElementById("import-progress");
    if (progress) { progress.hidden = false; }
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; button.textContent = "Importing…"; }
  });
})();
