// The __tcfapi stub (CMP API v2): until the CMP has loaded, calls are queued; `ping` answers at
// once; a hidden "__tcfapiLocator" iframe lets vendors' frames find this window, and their
// postMessage calls ({__tcfapiCall}) are answered with {__tcfapiReturn}. A TCF site loads it
// first (/c/tcf-stub.js, synchronously); the TCF chunk installs it too if it is missing.

const LOCATOR = "__tcfapiLocator";

function addLocator(doc) {
  if (doc.body) {
    const frame = doc.createElement("iframe");
    frame.style.display = "none";
    frame.name = LOCATOR;
    frame.title = "TCF locator";
    frame.setAttribute("aria-hidden", "true");
    doc.body.appendChild(frame);
  } else setTimeout(() => addLocator(doc), 5);
}

/** Answers {__tcfapiCall} messages from frames through whatever window.__tcfapi is now. */
export function onMessage(win) {
  return (event) => {
    let data = event.data;
    const json = typeof data === "string";
    try {
      if (json) data = JSON.parse(data);
    } catch {
      return;
    }
    const call = data && data.__tcfapiCall;
    if (!call || typeof call.command !== "string" || !event.source) return;
    win.__tcfapi(
      call.command,
      call.version,
      (returnValue, success) => {
        const answer = { __tcfapiReturn: { returnValue, success, callId: call.callId } };
        event.source.postMessage(json ? JSON.stringify(answer) : answer, "*");
      },
      call.parameter,
    );
  };
}

export function installStub(win) {
  const doc = win.document;
  if (win.frames[LOCATOR] || typeof win.__tcfapi === "function") return;
  const queue = [];
  let gdprApplies;
  win.__tcfapi = function (...args) {
    if (!args.length) return queue;
    const [command, , callback, parameter] = args;
    if (command === "setGdprApplies") {
      if (args.length > 3 && parameter !== undefined) gdprApplies = !!parameter;
    } else if (command === "ping") {
      if (typeof callback === "function")
        callback({ gdprApplies, cmpLoaded: false, cmpStatus: "stub", apiVersion: "2.3" }, true);
    } else queue.push(args);
  };
  addLocator(doc);
  win.addEventListener("message", onMessage(win), false);
}
