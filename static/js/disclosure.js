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
})();
