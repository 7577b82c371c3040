// The TCF chunk's own texts (the standard purpose names and descriptions come from the GVL in
// the visitor's language). English is the fallback.
export const TEXTS = {
  en: {
    first: "We and our {n} partners (IAB TCF vendors) store and access information on your device and process personal data for these purposes. Some rely on legitimate interest: you can object in the partner list.",
    features: "Special features (only with your opt-in):",
    partners: "See our {n} partners",
    heading: "Purposes (IAB Transparency and Consent Framework)",
    consent: "Consent",
    li: "Legitimate interest (untick to object)",
    special: "Special purposes and features (no choice needed: {list})",
    vendors: "Partners ({n})",
    v_purposes: "Consent purposes",
    v_li: "Legitimate interest purposes",
    v_special: "Special purposes",
    v_features: "Features",
    v_retention: "Data retention",
    v_days: "days",
    v_cookie: "Cookie lifetime",
    v_policy: "Privacy policy",
    ac: "Other Google ad technology providers ({n})",
  },
  fr: {
    first: "Nous et nos {n} partenaires (fournisseurs IAB TCF) stockons et accédons à des informations sur votre appareil et traitons des données personnelles pour ces finalités. Certaines reposent sur l'intérêt légitime : vous pouvez vous y opposer dans la liste des partenaires.",
    features: "Fonctionnalités spéciales (seulement avec votre accord) :",
    partners: "Voir nos {n} partenaires",
    heading: "Finalités (IAB Transparency and Consent Framework)",
    consent: "Consentement",
    li: "Intérêt légitime (décochez pour vous opposer)",
    special: "Finalités et fonctionnalités spéciales (sans choix : {list})",
    vendors: "Partenaires ({n})",
    v_purposes: "Finalités soumises au consentement",
    v_li: "Finalités fondées sur l'intérêt légitime",
    v_special: "Finalités spéciales",
    v_features: "Fonctionnalités",
    v_retention: "Conservation des données",
    v_days: "jours",
    v_cookie: "Durée du cookie",
    v_policy: "Politique de confidentialité",
    ac: "Autres fournisseurs de technologie publicitaire de Google ({n})",
  },
};

export function texts(language) {
  return Object.assign({}, TEXTS.en, TEXTS[language] || {});
}

export const fill = (s, values) => s.replace(/\{(\w+)\}/g, (_, k) => values[k]);
