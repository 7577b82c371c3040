// From the visitor's TCF choices to the fields of a TC string and of the CMP API's TCData.
// Vendors are given compactly in the embed configuration as {id: [purposes, legIntPurposes,
// flexiblePurposes, specialFeatures]} (see cookies/tcf.py), enough to encode without the GVL.

// Purposes 3-6 (personalised advertising and content) may never rest on legitimate interest;
// purpose 1 is consent only (TCF-5).
export const NO_LI = new Set([1, 3, 4, 5, 6]);

/** Purpose ids used under consent, purposes used under legitimate interest, special features. */
export function declared(cfg) {
  const consent = new Set(), li = new Set(), features = new Set();
  Object.values(cfg.vendors).forEach(([p, l, f, s]) => {
    p.forEach((id) => consent.add(id));
    f.forEach((id) => consent.add(id));
    l.forEach((id) => !NO_LI.has(id) && li.add(id));
    s.forEach((id) => features.add(id));
  });
  return { consent, li, features };
}

/** Choices for "accept all" (every consent, no objection) or "reject all" (none, and object). */
export function allChoices(cfg, yes, acIds) {
  const d = declared(cfg), ids = Object.keys(cfg.vendors).map(Number);
  const none = new Set();
  return {
    purposeConsents: yes ? d.consent : none,
    purposeObjections: yes ? none : d.li,
    vendorConsents: yes ? new Set(ids.filter((id) => cfg.vendors[id][0].length || cfg.vendors[id][2].length)) : none,
    vendorObjections: yes ? none : new Set(ids),
    specialFeatures: yes ? d.features : none,
    ac: yes ? new Set(acIds) : none,
  };
}

/** The fields of the TC string for `choices` made on `screen` at `when` (ms). */
export function tcFields(cfg, choices, { when, screen, language, custom }) {
  const d = declared(cfg), ids = Object.keys(cfg.vendors).map(Number);
  const purposeLI = new Set([...d.li].filter((p) => !choices.purposeObjections.has(p)));
  const vendorLI = new Set(
    ids.filter((id) => cfg.vendors[id][1].some((p) => !NO_LI.has(p)) && !choices.vendorObjections.has(id)),
  );
  const pubPurposes = cfg.publisher_purposes || [];
  const publisher =
    pubPurposes.length || custom.length
      ? {
          consents: new Set(pubPurposes.filter((p) => choices.purposeConsents.has(p))),
          li: new Set(),
          custom: custom.map((granted) => ({ consent: granted, li: false })),
        }
      : null;
  return {
    lastUpdated: when,
    cmpId: cfg.cmp_id,
    cmpVersion: cfg.cmp_version,
    consentScreen: screen,
    language,
    vendorListVersion: cfg.gvl_version,
    policyVersion: cfg.policy_version,
    publisherCC: cfg.publisher_cc,
    specialFeatures: choices.specialFeatures,
    purposeConsents: choices.purposeConsents,
    purposeLI,
    vendorConsents: new Set(ids.filter((id) => choices.vendorConsents.has(id))),
    vendorLI,
    restrictions: cfg.restrictions || [],
    disclosedVendors: new Set(ids),
    publisher,
  };
}

const flags = (ids, set) => {
  const o = {};
  ids.forEach((id) => (o[id] = set.has(id)));
  return o;
};

/** The TCData parts the CMP API answers with (purpose, vendor, specialFeatureOptins, publisher). */
export function tcDataFields(cfg, f, vendorIds) {
  const purposes = Array.from({ length: cfg.purpose_count || 11 }, (_, i) => i + 1);
  const vendors = (vendorIds || Object.keys(cfg.vendors)).map(Number);
  const restrictions = {};
  (cfg.restrictions || []).forEach((r) => {
    const byVendor = (restrictions[r.purpose] = restrictions[r.purpose] || {});
    r.vendors.forEach((v) => (byVendor[v] = r.type));
  });
  const pub = f.publisher || { consents: new Set(), li: new Set(), custom: [] };
  const custom = pub.custom.map((_, i) => i + 1);
  return {
    purpose: { consents: flags(purposes, f.purposeConsents), legitimateInterests: flags(purposes, f.purposeLI) },
    vendor: { consents: flags(vendors, f.vendorConsents), legitimateInterests: flags(vendors, f.vendorLI) },
    specialFeatureOptins: flags([1, 2], f.specialFeatures),
    publisher: {
      consents: flags(purposes, pub.consents),
      legitimateInterests: flags(purposes, pub.li),
      customPurpose: {
        consents: flags(custom, new Set(custom.filter((i) => pub.custom[i - 1].consent))),
        legitimateInterests: flags(custom, new Set()),
      },
      restrictions,
    },
  };
}
