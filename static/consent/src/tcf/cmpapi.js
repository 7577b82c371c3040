// The CMP API v2 (__tcfapi): ping, getTCData, addEventListener, removeEventListener. Calls
// queued by the stub are run once the CMP is installed; listeners are called with the current
// TCData at once when there is a status to report, then at each change of eventStatus:
// tcloaded (a stored choice is in force), cmpuishown (the UI is showing), useractioncomplete.
import { tcDataFields } from "./model.js";

export const API_VERSION = "2.3";

export function createCmpApi(win, cfg) {
  let current = null; // {tcString, addtlConsent, fields} of the choice in force
  let eventStatus, displayStatus = "hidden", nextId = 1;
  const listeners = new Map();

  function tcData(listenerId, vendorIds) {
    const data = {
      tcString: "",
      tcfPolicyVersion: cfg.policy_version,
      cmpId: cfg.cmp_id,
      cmpVersion: cfg.cmp_version,
      gdprApplies: cfg.gdpr_applies,
      eventStatus,
      cmpStatus: "loaded",
      listenerId,
      isServiceSpecific: true,
      useNonStandardTexts: false,
      publisherCC: cfg.publisher_cc,
      purposeOneTreatment: false,
    };
    if (!cfg.gdpr_applies) return data;
    const empty = { purposeConsents: new Set(), purposeLI: new Set(), vendorConsents: new Set(), vendorLI: new Set(), specialFeatures: new Set() };
    Object.assign(data, tcDataFields(cfg, current ? current.fields : empty, vendorIds));
    if (current) {
      data.tcString = current.tcString;
      if (current.addtlConsent) data.addtlConsent = current.addtlConsent;
    }
    return data;
  }

  function notify() {
    listeners.forEach((callback, id) => {
      try {
        callback(tcData(id), true);
      } catch {
        // a vendor's own error
      }
    });
  }

  const commands = {
    ping: (callback) =>
      callback(
        {
          gdprApplies: cfg.gdpr_applies,
          cmpLoaded: true,
          cmpStatus: "loaded",
          displayStatus: cfg.gdpr_applies ? displayStatus : "disabled",
          apiVersion: API_VERSION,
          cmpVersion: cfg.cmp_version,
          cmpId: cfg.cmp_id,
          gvlVersion: cfg.gvl_version,
          tcfPolicyVersion: cfg.policy_version,
        },
        true,
      ),
    getTCData: (callback, vendorIds) =>
      Array.isArray(vendorIds) && !vendorIds.every(Number.isInteger)
        ? callback(null, false)
        : callback(tcData(undefined, Array.isArray(vendorIds) ? vendorIds : undefined), true),
    addEventListener: (callback) => {
      const id = nextId++;
      listeners.set(id, callback);
      if (eventStatus) callback(tcData(id), true);
    },
    removeEventListener: (callback, id) => callback(listeners.delete(id), true),
  };

  function api(command, version, callback, parameter) {
    if (typeof callback !== "function") return;
    if (!commands[command] || (version !== undefined && version !== null && version !== 2 && version !== 0))
      return callback(null, false);
    commands[command](callback, parameter);
  }

  function install() {
    const queued = typeof win.__tcfapi === "function" ? win.__tcfapi() || [] : [];
    win.__tcfapi = api;
    queued.forEach((args) => api(...args));
  }

  return {
    install,
    /** A new choice is in force (`status`: tcloaded or useractioncomplete). */
    update(next, status) {
      current = next;
      eventStatus = status;
      displayStatus = "hidden";
      notify();
    },
    /** The banner or the preferences are showing. */
    shown() {
      displayStatus = "visible";
      eventStatus = "cmpuishown";
      notify();
    },
    get current() {
      return current;
    },
  };
}
