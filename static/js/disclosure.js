// A "Yes" to a safety question shows, at once, the guidance and the crisis resources under it (the
// server raises the flag when the answer is saved); "Client declined" or "Not asked" shows the box
// for the reason. Without this script both show after saving.
(function () {
  document.querySelectorAll("[data-reason-for]").forEach(function (box) {
    var radios = document.querySelectorAll('input[type=radio][name="' + box.getAttribute("data-reason-for") + '"]');
    function update() {
      var why = Array.prototype.some.call(radios, function (r) {
        return r.checked && (r.value === "declined" || r.value === "not_asked");
      });
      if (why || box.querySelector("input").value) { box.hidden = false; } else { box.hidden = true; }
    }
    radios.forEach(function (r) { r.addEventListener("change", update); });
  });

  document.querySelectorAll("[data-disclosure-for]").forEach(function (box) {
    var name = box.getAttribute("data-disclosure-for");
    var radios = document.querySelectorAll('input[type=radio][name="' + name + '"]');
    function update() {
      var yes = Array.prototype.some.call(radios, function (r) { return r.checked && r.value === "1"; });
      box.hidden = !yes;
      if (yes) { box.setAttribute("role", "alert"); } else { box.removeAttribute("role"); }
    }
    radios.forEach(function (r) { r.addEventListener("change", update); });
  });

  // A question asked only after a "Yes" above (self-report): hidden until one of those is "Yes".
  document.querySelectorAll("[data-ask-if]").forEach(function (question) {
    var names = question.getAttribute("data-ask-if").trim().split(/\s+/);
    var radios = [];
    names.forEach(function (name) {
      document.querySelectorAll('input[type=radio][name="' + name + '"]').forEach(function (r) { radios.push(r); });
    });
    if (!radios.length) { return; }
    function update() {
      var yes = radios.some(function (r) { return r.checked && r.value === "1"; });
      var answered = Array.prototype.some.call(question.querySelectorAll("input[type=radio]"), function (r) { return r.checked; });
      question.hidden = !yes && !answered;
    }
    radios.forEach(function (r) { r.addEventListener("change", update); });
    update();
  });
})();
