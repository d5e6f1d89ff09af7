// Save a step to the server as soon as an answer changes, so closing the tab loses nothing.
// Each save posts the step's whole form to its autosave address (data-autosave), which answers in
// JSON; the server writes only the answers that differ from what it holds. A click saves after
// 0.3 s, typing after a 1.2 s pause, and leaving the page sends what is pending.
// The form still works without this script: every button posts the whole step.
(function () {
  var form = document.querySelector("form[data-autosave]");
  if (!form) { return; }
  var status = form.querySelector("[data-save-status]");
  var timer = null;
  var pending = false;   // a change not yet sent
  var inFlight = false;  // one save at a time, so saves arrive in order
  var submitting = false;

  // A client answering on their own (self-report) reads plainer words than the clinician.
  var client = form.dataset.autosaveVoice === "client";
  function say(text) { if (status) { status.textContent = text; } }

  function post(keepalive) {
    return fetch(form.dataset.autosave, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-Autosave": "1" },
      credentials: "same-origin",
      keepalive: keepalive,
    });
  }

  function reply(response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") === -1) {
      // A login page or an error page: the session has ended or something else went wrong.
      say(client ? "Not saved. Please tell your clinician, or press “Next” to try again."
                 : "Not saved: you may have been logged out. Your answers are still on the page; reload to log in again.");
      return null;
    }
    return response.json().then(function (data) {
      if (response.ok) {
        say(client ? "Your answers are saved." : "Draft saved at " + data.at + ".");
      } else {
        say(data.message || "Some answers were not saved: use “Save draft” to see why.");
      }
    });
  }

  function save() {
    timer = null;
    if (submitting) { return; }
    if (inFlight) { pending = true; timer = setTimeout(save, 200); return; }
    pending = false;
    inFlight = true;
    post(false).then(reply).catch(function () {
      say(client ? "Could not save just now: no connection. Your answers are still on the page; press “Next” when you are back online."
                 : "Could not reach the server. Your answers are still on the page; use “Save draft” when you are back online.");
    }).then(function () { inFlight = false; });
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

  // The form's own submit carries everything: no autosave may race it.
  form.addEventListener("submit", function () {
    submitting = true;
    pending = false;
    if (timer) { clearTimeout(timer); timer = null; }
  });

  // Leaving mid-pause (closing the tab): send what is there now.
  window.addEventListener("pagehide", function () {
    if (pending && !submitting) { post(true); }
  });
})();
