// Stands for a third-party tag that needs consent: it sets the cookies named in data-cookies
// and records that it ran (the demo page and the browser tests read window.demoRan).
(function () {
  var me = document.currentScript;
  var names = ((me && me.getAttribute("data-cookies")) || "_demo_analytics").split(" ");
  names.forEach(function (name) {
    document.cookie = name + "=1; path=/; max-age=86400; SameSite=Lax";
  });
  window.demoRan = window.demoRan || [];
  window.demoRan.push((me && me.getAttribute("data-tag")) || "gated");
  var out = document.getElementById("ran");
  if (out) out.textContent = window.demoRan.join(", ");
})();
