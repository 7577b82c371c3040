// Withdrawal: delete the declared cookies and web-storage items of purposes that were refused.

/** A declared name ("_ga_*") as an anchored regular expression. */
export function pattern(name) {
  return new RegExp("^" + name.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*") + "$");
}

export function cookieNames(doc) {
  return doc.cookie.split(/; */).map((s) => s.split("=")[0]).filter(Boolean);
}

/** "; domain=..." suffixes for the page's host and each parent domain ("" = host only). */
export function domainsOf(hostname) {
  const parts = hostname.split("."), out = [""];
  for (let i = 0; i < parts.length - 1; i++) out.push("; domain=" + parts.slice(i).join("."));
  return out;
}

/**
 * Delete what `declarations` ([{name, purpose, storage, domain}]) declare for `purposes`.
 * `env` = {document, location, localStorage, sessionStorage} (the latter may throw or be absent).
 */
export function clearPurposes(purposes, declarations, env) {
  const doms = domainsOf(env.location.hostname);
  declarations.forEach((c) => {
    if (!purposes.includes(c.purpose)) return;
    const re = pattern(c.name), storage = c.storage || "cookie";
    if (storage === "cookie") {
      const ds = c.domain ? doms.concat("; domain=" + c.domain) : doms;
      cookieNames(env.document)
        .filter((n) => re.test(n))
        .forEach((n) => ds.forEach((d) => (env.document.cookie = n + "=; path=/; max-age=0" + d)));
    } else if (storage.endsWith("_storage")) {
      try {
        const s = storage[0] === "l" ? env.localStorage : env.sessionStorage;
        Object.keys(s).filter((k) => re.test(k)).forEach((k) => s.removeItem(k));
      } catch {
        // storage blocked
      }
    }
  });
}
