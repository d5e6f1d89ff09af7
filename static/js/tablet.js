// The clinic's tablet in self-report: after a few minutes without a touch the screen blanks, so a
// passer-by sees no answers; a tap brings the questions back. Every answer is already saved.
(function () {
  var seconds = parseInt(document.body.getAttribute("data-blank-after"), 10);
  var cover = document.querySelector("[data-tablet-blank]");
  var main = document.getElementById("main");
  if (!seconds || !cover || !main) { return; }
  var timer = null;
  var wakeButton = cover.querySelector("[data-tablet-wake]");
  var before = null;  // what had the focus when the screen blanked: it gets it back

  // Everything but the cover (the questions, the skip link, the clinician's link below them): out of
  // reach of the keyboard and of a screen reader while the screen is dark.
  function behind() {
    return Array.prototype.filter.call(document.body.children, function (el) {
      return el !== cover && el.tagName !== "SCRIPT";
    });
  }

  function blank() {
    before = document.activeElement;
    cover.hidden = false;
    behind().forEach(function (el) { el.setAttribute("aria-hidden", "true"); el.inert = true; });
    wakeButton.focus();
  }

  function wake() {
    if (cover.hidden) { return; }
    cover.hidden = true;
    behind().forEach(function (el) { el.removeAttribute("aria-hidden"); el.inert = false; });
    // Back where the client was (the button just hidden would leave the focus nowhere).
    if (before && before !== document.body && before !== wakeButton && document.contains(before)) {
      before.focus({ preventScroll: true });
    } else {
      main.focus({ preventScroll: true });
    }
    before = null;
    restart();
  }

  function restart() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(blank, seconds * 1000);
  }

  // A tap anywhere on the cover brings the questions back, not only on its button.
  cover.addEventListener("click", wake);
  ["pointerdown", "keydown", "input", "scroll", "touchstart"].forEach(function (name) {
    document.addEventListener(name, function () { if (cover.hidden) { restart(); } }, { passive: true });
  });
  restart();
})();
