// Cookie drift: report cookie names (never values) that no declaration covers, once per page.
import { cookieNames, pattern } from "./cleanup.js";
import { state } from "./state.js";

export function undeclared(names, declarations, own) {
  const known = declarations.map((c) => pattern(c.name));
  return [...new Set(names.filter((n) => n !== own && !known.some((re) => re.test(n))))].slice(0, 50);
}

export function reportDrift(doc, location, post) {
  const names = undeclared(cookieNames(doc), state.config.cookies, state.cookieName);
  if (names.length) post("observed-cookies", { names, page: location.pathname }).catch(() => 0);
}
