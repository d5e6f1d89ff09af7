// Copy a field (the intake-note summary, a self-report link) to the clipboard; falls back to selecting the text.
document.querySelectorAll("[data-copy-target]").forEach(function (button) {
  button.addEventListener("click", function () {
    var field = document.getElementById(button.dataset.copyTarget);
    var status = document.querySelector("[data-copy-status]");
    var copied = button.dataset.copied || "Summary copied.";
    function done(text) { if (status) { status.textContent = text; } }
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { done(copied); },
        function () { done("Press Ctrl+C (or ⌘+C) to copy the selected text."); });
    } else {
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      done(ok ? copied : "Press Ctrl+C (or ⌘+C) to copy the selected text.");
    }
  });
});
