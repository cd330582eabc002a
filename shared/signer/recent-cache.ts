// A bounded cache that keeps the most recently used entries: signers prepare HMAC keys once per
// secret (a host signs with the same few secrets all day), while a stream of one-off keys (Baidu's
// per-second signing keys, `nightshift sign` over a large file) can neither grow it without limit
// nor push out the secrets still in use.

/** The value cached under `key`, made (and the least recently used entry evicted) when missing. */
export function recentlyUsed<K, V>(cache: Map<K, V>, limit: number, key: K, make: () => V): V {
  let value = cache.get(key);
  if (value !== undefined) {
    cache.delete(key);
  } else {
    value = make();
    if (cache.size >= limit) cache.delete(cache.keys().next().value as K);
  }
  cache.set(key, value);
  return value;
}
