// An export's page while the file is being made: ask its status address (data-status-url) about
// once a second and move the progress bar; when the export is ready or has failed, reload the page,
// which then shows the download link or "Try again". Without this script the page's "refresh" link
// does the same by hand.
// The request says it is a background one (X-Autosave, as the autosave script): a session that has
// ended gets a JSON 401 rather than a login page, and polling stops. Polling also stops after ten
// minutes, so an open tab does not keep an idle session alive.
(function () {
  var box = document.getElementById("export-progress");
  if (!box || !window.fetch) { return; }
  var text = box.querySelector("[data-export-text]");
  var rows = box.querySelector("[data-export-rows]");
  var bar = box.querySelector("[data-export-bar]");
  var started = Date.now();
  var LIMIT_MS = 10 * 60 * 1000;

  function show(data) {
    if (text) { text.textContent = data.status_text; }
    if (rows) {
      rows.textContent = data.rows_done + " of " + (data.rows_total === null ? "…" : data.rows_total) + " " + data.unit;
    }
    if (bar && data.rows_total) {
      bar.max = data.rows_total;
      bar.value = data.rows_done;
      bar.textContent = data.percent + "%";
    }
  }

  function poll() {
    fetch(box.dataset.statusUrl, {
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-Autosave": "1" },
      cache: "no-store",
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("application/json") === -1) { return null; }
      return response.json();
    }).then(function (data) {
      if (!data) { return; }  // logged out, or an error page: leave the page as it is
      show(data);
      if (data.status !== box.dataset.status && (data.status === "ready" || data.status === "failed")) {
        window.location.reload();
        return;
      }
      if (Date.now() - started < LIMIT_MS) { window.setTimeout(poll, 1000); }
    }).catch(function () { /* the network is gone: the refresh link still works */ });
  }

  window.setTimeout(poll, 1000);
})();
