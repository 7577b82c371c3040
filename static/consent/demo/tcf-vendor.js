// A test vendor's tag for the TCF demo: reads consent only through __tcfapi (directly in the
// page, or through the __tcfapiLocator frame and postMessage from a cross-origin iframe) and
// "runs" only once its purposes and its own vendor consent are there. It shows what it read.
(function () {
  "use strict";
  var script = document.currentScript;
  var vendor = Number(script.getAttribute("data-vendor"));
  var purposes = script.getAttribute("data-purposes").split(" ").map(Number);
  var calls = {};
  var nextCall = 1;

  // In a frame without __tcfapi: find the window holding the locator frame and post to it.
  function locator() {
    for (var w = window; w; w = w === window.top ? null : w.parent) {
      try {
        if (w.frames.__tcfapiLocator) return w;
      } catch (e) {
        // a window we cannot look into
      }
    }
    return null;
  }
  // The stub adds the locator frame once the host page has a body: a frame's tag may run first,
  // so it looks again for a while (5 s) before giving up.
  function tcfapi(command, callback, tries) {
    if (typeof window.__tcfapi === "function") return window.__tcfapi(command, 2, callback);
    var target = locator();
    tries = tries || 0;
    if (!target && tries < 100) return setTimeout(function () { tcfapi(command, callback, tries + 1); }, 50);
    if (!target) return callback(null, false);
    var callId = "vendor-" + nextCall++;
    calls[callId] = callback;
    target.postMessage({ __tcfapiCall: { command: command, version: 2, callId: callId } }, "*");
  }
  window.addEventListener("message", function (event) {
    var answer = event.data && event.data.__tcfapiReturn;
    if (answer && calls[answer.callId]) calls[answer.callId](answer.returnValue, answer.success);
  });

  function allowed(tcData) {
    if (tcData.gdprApplies === false) return true;
    var p = (tcData.purpose && tcData.purpose.consents) || {};
    var v = (tcData.vendor && tcData.vendor.consents) || {};
    return purposes.every(function (id) { return p[id] === true; }) && v[vendor] === true;
  }

  function show(tcData) {
    var out = document.getElementById("vendor-status");
    out.setAttribute("data-event", tcData.eventStatus || "");
    out.setAttribute("data-gdpr", String(tcData.gdprApplies));
    out.setAttribute("data-tc", tcData.tcString || "");
    out.setAttribute("data-updates", String(Number(out.getAttribute("data-updates") || 0) + 1));
    if (tcData.eventStatus !== "tcloaded" && tcData.eventStatus !== "useractioncomplete") return;
    var run = allowed(tcData);
    if (run) out.setAttribute("data-ran", "yes");
    out.setAttribute("data-state", run ? "ran" : "blocked");
    out.textContent = "Vendor " + vendor + (run ? ": consent found, the tag ran." : ": no consent, the tag did not run.");
  }

  tcfapi("addEventListener", function (tcData, success) {
    if (success && tcData) show(tcData);
  });
})();
