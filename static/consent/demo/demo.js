// Host-page script of the demo: shows the current choice through the public window.consent API,
// in the page's language (the labels come from the page, see data-labels on #choice).
(function () {
  function labels(out) {
    try {
      return JSON.parse(out.getAttribute("data-labels") || "{}");
    } catch (e) {
      return {};
    }
  }
  function render() {
    var out = document.getElementById("choice");
    if (!out || !window.consent) return;
    var l = labels(out);
    var names = l.purposes || {};
    out.textContent = ["analytics", "advertising"]
      .map(function (key) {
        var value = window.consent.get(key);
        var state = value === undefined ? l.undecided || "not decided" : value ? l.granted || "granted" : l.refused || "refused";
        return (names[key] || key) + ": " + state;
      })
      .join(", ");
  }
  document.addEventListener("consent:change", render);
  window.addEventListener("load", render);
})();
