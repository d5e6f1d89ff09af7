// Save a step's answers to the server as soon as one changes, so closing the tab loses nothing.
// The form still works without this script: every button posts the whole step.
(function () {
  var form = document.querySelector("form[data-autosave]");
  if (!form) { return; }
  var status = form.querySelector("[data-save-status]");
  var timer = null;
  var pending = false;

  function say(text) { if (status) { status.textContent = text; } }

  function save() {
    timer = null;
    pending = false;
    var body = new FormData(form);
    fetch(form.action || window.location.href, {
      method: "POST",
      body: body,
      headers: { "X-Autosave": "1" },
      credentials: "same-origin",
    }).then(function (response) {
      if (response.ok) {
        return response.json().then(function (data) { say("Draft saved at " + data.at + "."); });
      }
      if (response.status === 400) {
        return response.json().then(function () { say("Some answers were not saved: use “Save draft” to see why."); });
      }
      say("Could not save just now (the server answered " + response.status + "). Your answers are still on the page; use “Save draft”.");
    }).catch(function () {
      say("Could not reach the server. Your answers are still on the page; use “Save draft” when you are back online.");
    });
  }

  function schedule(delay) {
    pending = true;
    say("Saving…");
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, delay);
  }

  // A click saves at once; typing saves after a pause.
  form.addEventListener("change", function () { schedule(300); });
  form.addEventListener("input", function (event) {
    if (event.target.matches("textarea, input[type=text]")) { schedule(1200); }
  });

  // Leaving mid-debounce: send what is there now.
  window.addEventListener("pagehide", function () {
    if (pending) {
      var body = new FormData(form);
      fetch(form.action || window.location.href, { method: "POST", body: body, headers: { "X-Autosave": "1" }, keepalive: true, credentials: "same-origin" });
    }
  });

  // Move focus to the error summary so screen readers announce it.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
