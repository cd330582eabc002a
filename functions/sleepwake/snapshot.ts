// The snapshot a sleep takes before it changes anything, kept in store.snapshots under the target
// until the wake has restored from it. A snapshot that already exists is NEVER overwritten (a
// retried or resumed sleep, or a second sleep before a failed wake, must not record the sizes it
// itself set): only pools or workloads it does not know yet are added to it.
import type { LedgerEntryInput } from "../../shared/store/backend.ts";
import type { PoolSnapshot, SnapshotContent, WorkloadSnapshot } from "./operation-data.ts";
import { ledgerEntry, moveOn, type StepContext, type StepResult, stay } from "./step-context.ts";

type Field = { pools: PoolSnapshot; workloads: WorkloadSnapshot };

export async function recordSnapshot<K extends keyof Field>(
  ctx: StepContext,
  field: K,
  current: Field[K][],
  key: (item: Field[K]) => string,
): Promise<StepResult> {
  const { store } = ctx.deps;
  const target = ctx.op.target;
  const existing = await store.snapshots.get(target, ctx.now);
  if (!existing) {
    const content: SnapshotContent = { [field]: current };
    const version = await store.snapshots.put(
      target,
      { operationId: ctx.op.id, takenAt: ctx.now.toISOString(), data: content as Record<string, unknown> },
      null,
      ctx.now,
    );
    // Someone else recorded one in between: read theirs next time rather than overwrite it.
    if (version === undefined) return stay(ctx, []);
    ctx.progress.snapshot = { version, content };
    return moveOn(ctx, [ledgerEntry(ctx, "snapshot", { recorded: content })]);
  }

  const content = existing.value.data as SnapshotContent;
  const known = new Set(((content[field] ?? []) as Field[K][]).map(key));
  const added = current.filter((item) => !known.has(key(item)));
  const kept = { operationId: existing.value.operationId, takenAt: existing.value.takenAt };
  if (added.length === 0) {
    ctx.progress.snapshot = { version: existing.version, content };
    return moveOn(ctx, [ledgerEntry(ctx, "snapshot", { kept })]);
  }
  const merged: SnapshotContent = {
    ...content,
    [field]: [...((content[field] ?? []) as Field[K][]), ...added],
  };
  const version = await store.snapshots.put(
    target,
    { ...existing.value, data: merged as Record<string, unknown> },
    existing.version,
    ctx.now,
  );
  if (version === undefined) return stay(ctx, []);
  ctx.progress.snapshot = { version, content: merged };
  return moveOn(ctx, [ledgerEntry(ctx, "snapshot", { kept, added })]);
}

/** Reads the stored snapshot into the operation's progress (a wake restores from this copy). */
export async function loadSnapshot(ctx: StepContext): Promise<void> {
  const found = await ctx.deps.store.snapshots.get(ctx.op.target, ctx.now);
  if (found) ctx.progress.snapshot = { version: found.version, content: found.value.data as SnapshotContent };
  else delete ctx.progress.snapshot;
}

/** The last wake step: the snapshot is spent. One taken since (a newer sleep) is left alone. */
export async function dropSnapshot(ctx: StepContext): Promise<StepResult> {
  const held = ctx.progress.snapshot;
  if (!held) return moveOn(ctx);
  const { store } = ctx.deps;
  const current = await store.snapshots.get(ctx.op.target, ctx.now);
  const ledger: LedgerEntryInput[] = [];
  if (current && current.version === held.version) {
    await store.snapshots.delete(ctx.op.target, held.version, ctx.now);
    ledger.push(ledgerEntry(ctx, "drop-snapshot", { dropped: held.content }));
  } else if (current) {
    ledger.push(ledgerEntry(ctx, "drop-snapshot", { kept: "a newer snapshot was taken since; it is left" }));
  } else {
    // Gone already: dropped by an attempt of this step interrupted before its write (or swept).
    // Recorded now, so the drop is in the ledger once also across a crash.
    ledger.push(ledgerEntry(ctx, "drop-snapshot", { dropped: held.content, found: "already dropped" }));
  }
  return moveOn(ctx, ledger);
}
