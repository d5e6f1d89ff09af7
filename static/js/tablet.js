// The clinic's tablet in self-report: after a few minutes without a touch the screen blanks, so a
// passer-by sees no answers; a tap brings the questions back. Every answer is already saved.
(function () {
  var seconds = parseInt(document.body.getAttribute("data-blank-after"), 10);
  var cover = document.querySelector("[data-tablet-blank]");
  var main = document.getElementById("main");
  if (!seconds || !cover || !main) { return; }
  var timer = null;

  function blank() {
    cover.hidden = false;
    main.setAttribute("aria-hidden", "true");
    main.inert = true;
    cover.querySelector("[data-tablet-wake]").focus();
  }

  function wake() {
    cover.hidden = true;
    main.removeAttribute("aria-hidden");
    main.inert = false;
    restart();
  }

  function restart() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(blank, seconds * 1000);
  }

  cover.querySelector("[data-tablet-wake]").addEventListener("click", wake);
  ["pointerdown", "keydown", "input", "scroll", "touchstart"].forEach(function (name) {
    document.addEventListener(name, function () { if (cover.hidden) { restart(); } }, { passive: true });
  });
  restart();
})();
