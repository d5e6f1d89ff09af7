// After a refused submit, move focus to the first error so a screen reader announces it and the
// keyboard starts there. The server marks it with data-error-focus; pages without errors have none.
(function () {
  var first = document.querySelector("[data-error-focus]");
  if (first) { first.focus(); }
})();
