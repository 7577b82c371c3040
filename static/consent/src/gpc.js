// Global Privacy Control: GPC-sensitive purposes are refused without asking.

/** Optional purposes to refuse with method "gpc": sensitive ones not already refused. */
export function gpcRefusals(enabled, optional, stored) {
  if (!enabled) return [];
  return optional.filter((p) => p.gpc_sensitive && (!stored || stored.d[p.key] !== 0));
}
