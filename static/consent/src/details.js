// What only the preferences dialog needs (vendor and cookie lists), and the texts in another
// language, come from a second, cacheable request made only when they are needed.
import { givenDetails } from "./preview.js";
import { state } from "./state.js";

const loaded = {};

/** A promise of /c/<site>/details.json in `language` (one request per language and page). */
export function loadDetails(language) {
  if (!loaded[language] && typeof __PREVIEW__ !== "undefined" && __PREVIEW__) loaded[language] = givenDetails(state.config);
  if (!loaded[language]) {
    const url = state.base + "/c/" + state.config.site + "/details.json?lang=" + encodeURIComponent(language);
    loaded[language] = fetch(url).then((r) => {
      if (!r.ok) throw r.status;
      return r.json();
    });
    loaded[language].catch(() => delete loaded[language]);
  }
  return loaded[language];
}

/** The site's language matching `wanted` ("fr-CA" -> "fr"), or "" when it has none. */
export function matchLanguage(wanted, languages) {
  const l = (wanted || "").toLowerCase();
  return [l, l.split("-")[0]].find((c) => c && languages.includes(c)) || "";
}

/** Show texts and purpose names in the language of `details`. */
export function applyLanguage(details) {
  state.language = details.language;
  state.texts = details.texts;
  details.purposes.forEach((p) => {
    const mine = state.byKey[p.key];
    if (mine) Object.assign(mine, { name: p.name, description: p.description });
  });
}

/** "Vendors: A, B" and "Cookies: x, y" lines for a purpose, from the details. */
export function describe(details, key) {
  const vendors = details.purposes.find((p) => p.key === key)?.vendors || [];
  const names = vendors.map((v) => details.vendors[v]?.name || v);
  const cookies = details.cookies.filter((c) => c.purpose === key).map((c) => c.name).sort();
  const lines = [];
  if (names.length) lines.push(details.texts.vendors_label + ": " + names.join(", "));
  if (cookies.length) lines.push(details.texts.cookies_label + ": " + cookies.join(", "));
  return lines;
}
