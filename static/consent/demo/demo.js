// Host-page script of the demo: shows the current choice through the public window.consent API.
(function () {
  function render() {
    var out = document.getElementById("choice");
    if (!out || !window.consent) return;
    out.textContent = ["analytics", "advertising"]
      .map(function (key) {
        var value = window.consent.get(key);
        return key + ": " + (value === undefined ? "not decided" : value ? "granted" : "refused");
      })
      .join(", ");
  }
  document.addEventListener("consent:change", render);
  window.addEventListener("load", render);
})();
