// Redis backend: for several Node replicas sharing one Redis (standalone or a Sentinel-managed
// primary; Redis Cluster is not supported because the scripts touch a record and its indexes in
// one step). Every compare-and-set, conditional delete and ledger append is ONE Lua script, so it
// is atomic against every other replica; counters are a plain INCR, which is atomic by itself.
//
// Layout under `prefix` (so several stores can share one Redis):
//   rec:<tag><key>        hash { v: value, n: version, e: expiresAt ms or "", x: index name or "" }
//                         (tag = "<bytes>:<ns>")
//   idx:<tag>             sorted set of the namespace's keys, all score 0 (ZRANGEBYLEX for `list`)
//   index:<tag>:<name>    sorted set of the keys in the record index <name>, by their score
//                         (`listIndex`); written, moved and removed by the scripts that write,
//                         delete and sweep the record, so it changes atomically with it
//   expiry                sorted set <tag><key> scored by expiresAt (what `sweep` visits)
//   counter:<name>        INCR counters
//   tallies               hash name -> total (HINCRBY; one MULTI per `addTallies`: all or none)
//   ledger:seq            INCR sequence for ledger entries
//   ledger:entries        hash seq -> entry JSON
//   ledger:all            sorted set seq (score seq); ledger:target:<t> / ledger:op:<id> likewise
//   ledger:at             sorted set seq scored by `at` ms (time-range queries)
//   ledger:keys           hash entry key -> seq (idempotent appends; checked in the append script)
// The namespace tag carries its byte length, so namespace "a" + key "b:c" and namespace "a:b" + key
// "c" can never meet on one Redis key.
//
// Expiry is logical first: every script compares expiresAt with the caller's `now` (an argument,
// never Redis TIME, so tests and replicas agree). Redis also frees an expiring record by itself,
// `expiryMarginMs` after it expired: a relative PEXPIRE of (expiresAt - now + margin) rather than an
// absolute PEXPIREAT, so a skewed Redis clock (or a test's injected clock) cannot free a live record.
//
// Versions live in the record hash. While an expired record is still held (until the margin runs
// out or `sweep` runs) an overwrite keeps counting up from its version, as the port asks. Once it is
// physically gone, a new record starts again at 1: exactly what `sweep` does on every backend, the
// memory reference included. A separate non-expiring version key per record was rejected: it would
// keep one key for every idempotency key ever seen, so Redis could never free that memory. Fencing
// tokens come from `increment`, which never expires, so they never repeat.
import { createHash } from "node:crypto";
import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  createClient,
  DisconnectsClientError,
  ErrorReply,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
} from "redis";
import {
  checkIndexEntry,
  checkLedgerKey,
  checkTallies,
  type IndexedRecord,
  LEDGER_DEFAULT_LIMIT,
  LEDGER_MAX_LIMIT,
  type LedgerEntry,
  type LedgerEntryInput,
  type StoreBackend,
  type VersionedRecord,
} from "./backend.ts";
import { StoreUnavailableError } from "./store.ts";

export interface RedisBackendOptions {
  /** e.g. "redis://127.0.0.1:6379/0" */
  url: string;
  /** Prepended to every key, so several stores can share one Redis. Default "nightshift:". */
  prefix?: string;
  /** How long after expiresAt Redis frees a record by itself. Default one hour. */
  expiryMarginMs?: number;
  /**
   * Told when the connection is lost (once, however many reconnection attempts fail) and when it
   * is back: the host logs both, so an outage is two plain lines rather than one error per call.
   */
  onConnection?: (change: ConnectionChange) => void;
}

export type ConnectionChange =
  | { state: "lost"; store: string; reason: string }
  | { state: "restored"; store: string; downMs: number };

/**
 * How long a call waits for a lost connection to come back before it fails with
 * StoreUnavailableError (node-redis's offline queue, its default): a Redis restart is ridden out,
 * an outage is reported instead of waited out forever.
 */
export const REDIS_OFFLINE_WAIT_MS = 5_000;

export interface RedisStoreBackend extends StoreBackend {
  readonly kind: "redis";
  readonly prefix: string;
}

export const DEFAULT_REDIS_PREFIX = "nightshift:";
export const DEFAULT_EXPIRY_MARGIN_MS = 60 * 60 * 1000;

// A record is live when it exists and has no expiry or one later than `now`.
const LIVE = `
local function live(n, e, now)
  return n and (not e or e == '' or tonumber(e) > now)
end
`;

// ARGV[8] is the index name ('' = none), ARGV[9] its score, ARGV[10] the index keys' prefix.
const PUT = `${LIVE}
local cur = redis.call('HMGET', KEYS[1], 'v', 'n', 'e', 'x')
local now = tonumber(ARGV[6])
local version = tonumber(cur[2]) or 0
local isLive = live(cur[2], cur[3], now)
local ok
if ARGV[5] == '' then ok = not isLive else ok = isLive and version == tonumber(ARGV[5]) end
if not ok then
  if isLive then return {0, cur[1], version, cur[3]} end
  return {0}
end
version = version + 1
if cur[4] and cur[4] ~= '' and cur[4] ~= ARGV[8] then redis.call('ZREM', ARGV[10] .. cur[4], ARGV[2]) end
redis.call('HSET', KEYS[1], 'v', ARGV[3], 'n', version, 'e', ARGV[4], 'x', ARGV[8])
if ARGV[8] ~= '' then redis.call('ZADD', ARGV[10] .. ARGV[8], ARGV[9], ARGV[2]) end
redis.call('ZADD', KEYS[2], 0, ARGV[2])
if ARGV[4] == '' then
  redis.call('PERSIST', KEYS[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
end
return {1, version}
`;

const DELETE = `${LIVE}
local cur = redis.call('HMGET', KEYS[1], 'n', 'e', 'x')
if not live(cur[1], cur[2], tonumber(ARGV[4])) or tonumber(cur[1]) ~= tonumber(ARGV[3]) then return 0 end
if cur[3] and cur[3] ~= '' then redis.call('ZREM', ARGV[5] .. cur[3], ARGV[2]) end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`;

// Walks the namespace index in key order, in pages, and prunes entries whose record Redis has
// already freed (lazily: nothing else has to keep the index exact).
const LIST = `${LIVE}
local now = tonumber(ARGV[4])
local limit = tonumber(ARGV[3])
local min, max = '-', '+'
if ARGV[2] ~= '' then
  min = '[' .. ARGV[2]
  max = '[' .. ARGV[2] .. '\\255'
end
local out = {}
local count = 0
while limit < 0 or count < limit do
  local keys = redis.call('ZRANGEBYLEX', KEYS[1], min, max, 'LIMIT', 0, 200)
  for _, key in ipairs(keys) do
    local cur = redis.call('HMGET', ARGV[1] .. key, 'v', 'n', 'e')
    if not cur[2] then
      redis.call('ZREM', KEYS[1], key)
    elseif live(cur[2], cur[3], now) then
      out[#out + 1] = key
      out[#out + 1] = cur[1]
      out[#out + 1] = cur[2]
      out[#out + 1] = cur[3]
      count = count + 1
      if limit >= 0 and count >= limit then break end
    end
  end
  if #keys < 200 then break end
  min = '(' .. keys[#keys]
end
return out
`;

// One index's members by score (KEYS[1]), in pages. A member whose record is gone or has left
// this index (Redis freed it by itself, and it was written again elsewhere) is pruned here.
// ARGV: 1 the namespace's record key prefix, 2 index name, 3 highest score, 4 limit (-1), 5 now.
const LIST_INDEX = `${LIVE}
local now = tonumber(ARGV[5])
local limit = tonumber(ARGV[4])
local out = {}
local count = 0
local offset = 0
while limit < 0 or count < limit do
  local page = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[3], 'WITHSCORES', 'LIMIT', offset, 200)
  for i = 1, #page, 2 do
    local key = page[i]
    local cur = redis.call('HMGET', ARGV[1] .. key, 'v', 'n', 'e', 'x')
    if not cur[2] or cur[4] ~= ARGV[2] then
      redis.call('ZREM', KEYS[1], key)
      offset = offset - 1
    elseif live(cur[2], cur[3], now) then
      out[#out + 1] = key
      out[#out + 1] = cur[1]
      out[#out + 1] = cur[2]
      out[#out + 1] = cur[3]
      out[#out + 1] = page[i + 1]
      count = count + 1
      if limit >= 0 and count >= limit then break end
    end
  end
  if #page < 400 then break end
  offset = offset + 200
end
return out
`;

// One batch of the expiry index up to `now`: deletes records that are still held and expired, and
// drops the index entries of records Redis already freed (those do not count as swept).
const SWEEP = `
local now = tonumber(ARGV[1])
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local removed = 0
for _, m in ipairs(members) do
  local colon = string.find(m, ':', 1, true)
  local n = tonumber(string.sub(m, 1, colon - 1))
  local tag = string.sub(m, 1, colon + n)
  local key = string.sub(m, colon + n + 1)
  local rec = ARGV[3] .. m
  local cur = redis.call('HMGET', rec, 'e', 'x')
  local e = cur[1]
  if not e then
    redis.call('ZREM', ARGV[4] .. tag, key)
  elseif e ~= '' and tonumber(e) <= now then
    if cur[2] and cur[2] ~= '' then redis.call('ZREM', ARGV[5] .. tag .. ':' .. cur[2], key) end
    redis.call('DEL', rec)
    redis.call('ZREM', ARGV[4] .. tag, key)
    removed = removed + 1
  end
  redis.call('ZREM', KEYS[1], m)
end
return {removed, #members}
`;

// Puts a record written before record indexes existed into an index, if it is still at the version
// read and in none. ARGV: 1 key, 2 version, 3 index name, 4 score, 5 the index keys' prefix.
const INDEX_LEGACY = `
local cur = redis.call('HMGET', KEYS[1], 'n', 'x')
if tonumber(cur[1]) ~= tonumber(ARGV[2]) or (cur[2] and cur[2] ~= '') then return 0 end
redis.call('HSET', KEYS[1], 'x', ARGV[3])
redis.call('ZADD', ARGV[5] .. ARGV[3], ARGV[4], ARGV[1])
return 1
`;

// ARGV: 1 the entry's JSON, 2 its time (ms), 3 its key ('' = none). A key already in ledger:keys
// (KEYS[7]) appends nothing: the reply is the stored entry's seq and JSON instead.
const APPEND = `
if ARGV[3] ~= '' then
  local seen = redis.call('HGET', KEYS[7], ARGV[3])
  if seen then return {0, seen, redis.call('HGET', KEYS[2], seen)} end
end
local seq = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], seq, ARGV[1])
redis.call('ZADD', KEYS[3], seq, seq)
redis.call('ZADD', KEYS[4], ARGV[2], seq)
redis.call('ZADD', KEYS[5], seq, seq)
redis.call('ZADD', KEYS[6], seq, seq)
if ARGV[3] ~= '' then redis.call('HSET', KEYS[7], ARGV[3], seq) end
return {1, seq}
`;

// Two plans, same answer: walk a seq-ordered index (by target, else by operation, else all)
// between afterSeq and beforeSeq, in either direction, and check the other filters per entry
// (KEYS[4] = the operation index, when both are given); or, for a pure time query, take the time
// range from ledger:at and sort it by seq. Entries come back as stored JSON, never re-encoded by
// Lua's cjson. ARGV: afterSeq, limit, from, to, checkOp, mode, beforeSeq ('' = none), newest ('1').
const QUERY = `
local after = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local from, to = ARGV[3], ARGV[4]
local checkOp = ARGV[5] == '1'
local before = tonumber(ARGV[7])
local newest = ARGV[8] == '1'
local seqs = {}
local function inTime(seq)
  if from == '' and to == '' then return true end
  local at = tonumber(redis.call('ZSCORE', KEYS[2], seq))
  return at and (from == '' or at >= tonumber(from)) and (to == '' or at < tonumber(to))
end
if ARGV[6] == 'time' then
  local min = '-inf'
  if from ~= '' then min = from end
  local max = '+inf'
  if to ~= '' then max = '(' .. to end
  local nums = {}
  for _, s in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], min, max)) do
    local n = tonumber(s)
    if n > after and (before == nil or n < before) then nums[#nums + 1] = n end
  end
  if newest then table.sort(nums, function(a, b) return a > b end) else table.sort(nums) end
  for i = 1, math.min(limit, #nums) do seqs[i] = nums[i] end
else
  local low = '(' .. ARGV[1]
  local high = '+inf'
  if before ~= nil then high = '(' .. ARGV[7] end
  while #seqs < limit do
    local batch
    if newest then
      batch = redis.call('ZREVRANGEBYSCORE', KEYS[3], high, low, 'LIMIT', 0, 256)
    else
      batch = redis.call('ZRANGEBYSCORE', KEYS[3], low, high, 'LIMIT', 0, 256)
    end
    for _, s in ipairs(batch) do
      if (not checkOp or redis.call('ZSCORE', KEYS[4], s)) and inTime(s) then
        seqs[#seqs + 1] = s
        if #seqs >= limit then break end
      end
    end
    if #batch < 256 then break end
    if newest then high = '(' .. batch[#batch] else low = '(' .. batch[#batch] end
  end
end
if #seqs == 0 then return {} end
local bodies = redis.call('HMGET', KEYS[1], unpack(seqs))
local out = {}
for i, s in ipairs(seqs) do
  if bodies[i] then
    out[#out + 1] = tostring(s)
    out[#out + 1] = bodies[i]
  end
end
return out
`;

interface LuaScript {
  source: string;
  sha: string;
}

const lua = (source: string): LuaScript => ({ source, sha: createHash("sha1").update(source).digest("hex") });
const SCRIPTS = {
  put: lua(PUT),
  delete: lua(DELETE),
  list: lua(LIST),
  listIndex: lua(LIST_INDEX),
  sweep: lua(SWEEP),
  indexLegacy: lua(INDEX_LEGACY),
  append: lua(APPEND),
  query: lua(QUERY),
};

const SWEEP_BATCH = 500;

interface StoredEntry {
  at: number;
  operationId: string;
  target: string;
  kind: string;
  detail: Record<string, unknown>;
  key?: string;
}

export async function redisBackend(options: RedisBackendOptions): Promise<RedisStoreBackend> {
  const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
  const margin = options.expiryMarginMs ?? DEFAULT_EXPIRY_MARGIN_MS;
  if (!Number.isFinite(margin) || margin < 0)
    throw new RangeError("expiryMarginMs must be a non-negative number");

  // Starting up, a missing server is a configuration error to report, not to wait out forever
  // (a few quick retries cover a Redis that is starting next to us); once connected, a lost
  // connection is retried without end, backing off to 2 s, and commands meanwhile queue (each for
  // up to REDIS_OFFLINE_WAIT_MS).
  let connected = false;
  const store = redact(options.url);
  const client = createClient({
    url: options.url,
    socket: {
      reconnectStrategy: (retries: number, cause: Error) =>
        connected ? Math.min(50 * 2 ** retries, 2_000) : retries < 4 ? 100 * 2 ** retries : cause,
    },
    commandOptions: { timeout: REDIS_OFFLINE_WAIT_MS },
  });
  // Without a listener a dropped connection would crash the process; node-redis reconnects by
  // itself, the calls meanwhile wait (up to REDIS_OFFLINE_WAIT_MS), and the calls that were under
  // way when it dropped fail with StoreUnavailableError (guardCalls).
  let lastError: unknown;
  let downSince: number | undefined;
  client.on("error", (error: unknown) => {
    lastError = error;
    if (!connected || downSince !== undefined) return;
    downSince = performance.now();
    options.onConnection?.({ state: "lost", store, reason: reasonOf(error) });
  });
  client.on("ready", () => {
    if (downSince === undefined) return;
    const downMs = Math.round(performance.now() - downSince);
    downSince = undefined;
    options.onConnection?.({ state: "restored", store, downMs });
  });
  try {
    await client.connect();
    connected = true;
  } catch (error) {
    client.destroy();
    throw new Error(`cannot connect to Redis at ${store}: ${String(lastError ?? error)}`);
  }
  // Loaded up front so a burst of first calls does not all fall back to EVAL; the fallback stays
  // for a SCRIPT FLUSH, a restart or a failover to a replica that never saw them.
  await Promise.all(Object.values(SCRIPTS).map((s) => client.scriptLoad(s.source)));

  async function run(script: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    const options = { keys, arguments: args.map(String) };
    try {
      return await client.evalSha(script.sha, options);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return await client.eval(script.source, options);
    }
  }

  const tag = (namespace: string) => `${Buffer.byteLength(namespace, "utf8")}:${namespace}`;
  const recordKey = (member: string) => `${prefix}rec:${member}`;
  const indexKey = (namespace: string) => `${prefix}idx:${tag(namespace)}`;
  // Followed by the index name: index:<tag>:<name>.
  const recordIndexPrefix = (namespace: string) => `${prefix}index:${tag(namespace)}:`;
  const expiryKey = `${prefix}expiry`;
  const talliesKey = `${prefix}tallies`;
  const ledger = {
    seq: `${prefix}ledger:seq`,
    entries: `${prefix}ledger:entries`,
    all: `${prefix}ledger:all`,
    at: `${prefix}ledger:at`,
    keys: `${prefix}ledger:keys`,
    target: (target: string) => `${prefix}ledger:target:${target}`,
    op: (operationId: string) => `${prefix}ledger:op:${operationId}`,
  };

  const toRecord = (value: unknown, version: unknown, expiresAt: unknown): VersionedRecord => ({
    value: String(value),
    version: Number(version),
    expiresAt: expiresAt === null || expiresAt === undefined || expiresAt === "" ? null : Number(expiresAt),
  });
  const isLive = (record: VersionedRecord, now: Date) =>
    record.expiresAt === null || record.expiresAt > now.getTime();
  // Redis's counterpart of SQL migration 0002 (sql.ts), once per prefix: unfinished operations
  // written before record indexes enter the "active" index, scored by creation time, as store.ts
  // indexes them from now on. Safe to run twice at once (each entry is set at the version read).
  async function indexLegacyOperations(backend: StoreBackend): Promise<void> {
    const done = `${prefix}migrated:record-index`;
    if ((await client.exists(done)) === 1) return;
    for (const record of await backend.list("op", {}, new Date(0))) {
      const op = JSON.parse(record.value) as { status?: string; createdAt?: string };
      const score = Date.parse(op.createdAt ?? "");
      if (!["pending", "running", "waiting"].includes(op.status ?? "") || !Number.isFinite(score)) continue;
      await run(
        SCRIPTS.indexLegacy,
        [recordKey(tag("op") + record.key)],
        [record.key, record.version, "active", score, recordIndexPrefix("op")],
      );
    }
    await client.set(done, new Date().toISOString());
  }

  const toEntry = (seq: number, json: string): LedgerEntry => {
    const stored = JSON.parse(json) as StoredEntry;
    return {
      seq,
      at: new Date(stored.at),
      operationId: stored.operationId,
      target: stored.target,
      kind: stored.kind,
      detail: stored.detail,
      ...(stored.key === undefined ? {} : { key: stored.key }),
    };
  };

  const backend: RedisStoreBackend = {
    kind: "redis",
    prefix,

    async get(namespace, key, now) {
      const [value, version, expiresAt] = await client.hmGet(recordKey(tag(namespace) + key), [
        "v",
        "n",
        "e",
      ]);
      if (version === null || version === undefined) return undefined;
      const record = toRecord(value, version, expiresAt);
      return isLive(record, now) ? record : undefined;
    },

    async put(namespace, key, record, condition, now) {
      checkIndexEntry(record.index);
      const member = tag(namespace) + key;
      const expiresAt = record.expiresAt === null ? "" : String(record.expiresAt);
      const ttl =
        record.expiresAt === null ? 0 : Math.max(1, Math.ceil(record.expiresAt - now.getTime() + margin));
      const expected = condition.expectedVersion === null ? "" : String(condition.expectedVersion);
      const reply = (await run(
        SCRIPTS.put,
        [recordKey(member), indexKey(namespace), expiryKey],
        [
          member,
          key,
          record.value,
          expiresAt,
          expected,
          now.getTime(),
          ttl,
          record.index?.name ?? "",
          record.index?.score ?? 0,
          recordIndexPrefix(namespace),
        ],
      )) as unknown[];
      if (reply[0] === 1) return { ok: true, version: Number(reply[1]) };
      return { ok: false, current: reply.length > 1 ? toRecord(reply[1], reply[2], reply[3]) : undefined };
    },

    async delete(namespace, key, expectedVersion, now) {
      const member = tag(namespace) + key;
      const reply = await run(
        SCRIPTS.delete,
        [recordKey(member), indexKey(namespace), expiryKey],
        [member, key, expectedVersion, now.getTime(), recordIndexPrefix(namespace)],
      );
      return reply === 1;
    },

    async list(namespace, options, now) {
      const limit = options.limit === undefined ? -1 : Math.max(0, Math.floor(options.limit));
      const reply = (await run(
        SCRIPTS.list,
        [indexKey(namespace)],
        [recordKey(tag(namespace)), options.prefix ?? "", limit, now.getTime()],
      )) as unknown[];
      const out: Array<VersionedRecord & { key: string }> = [];
      for (let i = 0; i + 3 < reply.length; i += 4) {
        out.push({ key: String(reply[i]), ...toRecord(reply[i + 1], reply[i + 2], reply[i + 3]) });
      }
      return out;
    },

    async listIndex(namespace, index, query, now) {
      const limit = query.limit === undefined ? -1 : Math.max(0, Math.floor(query.limit));
      if (limit === 0) return [];
      const reply = (await run(
        SCRIPTS.listIndex,
        [recordIndexPrefix(namespace) + index],
        [recordKey(tag(namespace)), index, query.upTo ?? "+inf", limit, now.getTime()],
      )) as unknown[];
      const out: IndexedRecord[] = [];
      for (let i = 0; i + 4 < reply.length; i += 5) {
        out.push({
          key: String(reply[i]),
          ...toRecord(reply[i + 1], reply[i + 2], reply[i + 3]),
          score: Number(reply[i + 4]),
        });
      }
      return out;
    },

    async increment(counter) {
      return await client.incr(`${prefix}counter:${counter}`);
    },

    async addTallies(increments) {
      checkTallies(increments);
      if (increments.length === 0) return;
      const transaction = client.multi();
      for (const { name, by } of increments) transaction.hIncrBy(talliesKey, name, by);
      await transaction.exec();
    },

    async listTallies(prefix) {
      const all = await client.hGetAll(talliesKey);
      return Object.entries(all)
        .filter(([name]) => name.startsWith(prefix))
        .map(([name, value]) => ({ name, value: Number(value) }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },

    async append(entry: LedgerEntryInput) {
      checkLedgerKey(entry.key);
      const at = entry.at.getTime();
      if (!Number.isFinite(at)) throw new RangeError("ledger entry `at` is not a valid date");
      const stored: StoredEntry = {
        at,
        operationId: entry.operationId,
        target: entry.target,
        kind: entry.kind,
        detail: entry.detail,
        ...(entry.key === undefined ? {} : { key: entry.key }),
      };
      const json = JSON.stringify(stored);
      const [, seq, existing] = (await run(
        SCRIPTS.append,
        [
          ledger.seq,
          ledger.entries,
          ledger.all,
          ledger.at,
          ledger.target(entry.target),
          ledger.op(entry.operationId),
          ledger.keys,
        ],
        [json, at, entry.key ?? ""],
      )) as [number, number | string, string | undefined];
      return toEntry(Number(seq), existing ?? json);
    },

    async query(q) {
      const limit = Math.max(0, Math.floor(Math.min(q.limit ?? LEDGER_DEFAULT_LIMIT, LEDGER_MAX_LIMIT)));
      if (limit === 0) return [];
      const from = q.from === undefined ? "" : String(q.from.getTime());
      const to = q.to === undefined ? "" : String(q.to.getTime());
      // The walk starts from the most selective seq-ordered index we have.
      const primary =
        q.target !== undefined
          ? ledger.target(q.target)
          : q.operationId !== undefined
            ? ledger.op(q.operationId)
            : ledger.all;
      const mode =
        q.target === undefined && q.operationId === undefined && (from !== "" || to !== "") ? "time" : "walk";
      const checkOp = q.target !== undefined && q.operationId !== undefined;
      const reply = (await run(
        SCRIPTS.query,
        [ledger.entries, ledger.at, primary, ledger.op(q.operationId ?? "")],
        [
          q.afterSeq ?? 0,
          limit,
          from,
          to,
          checkOp ? "1" : "0",
          mode,
          q.beforeSeq ?? "",
          q.newestFirst ? "1" : "0",
        ],
      )) as unknown[];
      const out: LedgerEntry[] = [];
      for (let i = 0; i + 1 < reply.length; i += 2) out.push(toEntry(Number(reply[i]), String(reply[i + 1])));
      return out;
    },

    async sweep(now) {
      let removed = 0;
      for (;;) {
        const [count, visited] = (await run(
          SCRIPTS.sweep,
          [expiryKey],
          [now.getTime(), SWEEP_BATCH, `${prefix}rec:`, `${prefix}idx:`, `${prefix}index:`],
        )) as [number, number];
        removed += count;
        if (visited < SWEEP_BATCH) return removed;
      }
    },

    async close() {
      if (client.isOpen) await client.close();
    },
  };
  const guarded = guardCalls(backend, store);
  try {
    await indexLegacyOperations(guarded);
  } catch (error) {
    await backend.close();
    throw error;
  }
  return guarded;
}

/** Node's socket error codes that mean the server is not there (or went away mid-call). */
const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH"]);

/**
 * Whether a failed call met the connection rather than the data: anything node-redis raises
 * itself (socket closed, offline, timed out waiting for the connection), a socket error, or the
 * server saying it is still loading its data after a restart. A reply refusing the call (a script
 * error, a wrong type) is the data's, and stays as it is.
 */
function isConnectionTrouble(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof ErrorReply) return /^(LOADING|MASTERDOWN)\b/.test(error.message);
  if (CONNECTION_CODES.has((error as { code?: string }).code ?? "")) return true;
  return CONNECTION_ERRORS.some((kind) => error instanceof kind);
}

/** node-redis's own errors for a connection that is gone, not there yet, or too slow. */
const CONNECTION_ERRORS = [
  SocketClosedUnexpectedlyError,
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  SocketTimeoutError,
  TimeoutError,
  ReconnectStrategyError,
  DisconnectsClientError,
];

const reasonOf = (error: unknown) => {
  const code = (error as { code?: string } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
};

/** The backend whose every call turns connection trouble into StoreUnavailableError. */
function guardCalls(backend: RedisStoreBackend, store: string): RedisStoreBackend {
  const unavailable = (error: unknown) =>
    isConnectionTrouble(error)
      ? new StoreUnavailableError(`the store did not answer (Redis at ${store}: ${reasonOf(error)})`, {
          cause: error,
        })
      : error;
  const guarded: Record<string, unknown> = { ...backend };
  for (const [name, value] of Object.entries(backend)) {
    if (typeof value !== "function" || name === "close") continue;
    guarded[name] = async (...args: unknown[]) => {
      try {
        return await (value as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (error) {
        throw unavailable(error);
      }
    };
  }
  return guarded as unknown as RedisStoreBackend;
}

/** The URL without its password, for error messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(invalid Redis URL)";
  }
}
