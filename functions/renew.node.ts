// `nightshift renew <target>`: a forced renewal, against the configured store (NIGHTSHIFT_STORE),
// run to its end in this process. Chosen over calling a running service's API because a renewal
// is most needed when the service is down or its admin token is not at hand; on a shared store
// (SQLite file, Redis) a running service sees the operation, its ledger entries and the new
// credential at once, and the per-target lease keeps the two from running it twice (while the
// service holds it, this command waits for the service to finish it). With no account configured
// it runs against the built-in sandbox, like `plan` and `tick`.
import { parseArgs } from "node:util";
import { runDueOperations } from "../shared/jobs/runtime.ts";
import { readRenewalState } from "../shared/renewal/state.ts";
import { FINISHED } from "../shared/store/store.ts";
import { loadCliConfig, type Out, openCliRuntime } from "./cli-runtime.node.ts";
import { configuredLogger } from "./compose.ts";
import { JOBS } from "./jobs.ts";
import { renewalView } from "./renewal/api.ts";
import { forceRenewal } from "./renewal/force.ts";

export const RENEW_USAGE = `Usage: nightshift renew <target>

  Renews the target's kubeconfig now (also inside a back-off or outside its renewal window),
  through the renewal declaration that owns it, and prints the outcome as JSON. <target> is
  account/clusterId as GET /api/targets lists it. Runs against NIGHTSHIFT_STORE.`;

/** How long to wait for a running service that holds the target (it is renewing it). */
const LEASE_WAIT_MS = 60_000;

export async function runRenew(
  args: readonly string[],
  out: Out,
  options: { sleep?: (ms: number) => Promise<void> } = {},
): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    out.stdout(RENEW_USAGE);
    return 0;
  }
  let positionals: string[];
  try {
    positionals = parseArgs({
      args: [...args],
      options: {},
      allowPositionals: true,
      strict: true,
    }).positionals;
  } catch (error) {
    out.stderr(`nightshift renew: ${(error as Error).message}\n\n${RENEW_USAGE}`);
    return 2;
  }
  if (positionals.length !== 1) {
    out.stderr(`nightshift renew: name exactly one target (account/clusterId)\n\n${RENEW_USAGE}`);
    return 2;
  }
  const targetId = positionals[0]!;
  const config = loadCliConfig(out);
  if (!config) return 1;
  const log = configuredLogger(config, { level: "warn", write: out.stderr });
  const runtime = await openCliRuntime(config, log, out);
  if (!runtime) return 1;
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  try {
    const deps = runtime.tickDeps;
    const target = (await runtime.inventory.get()).targets.find((t) => t.targetId === targetId);
    if (!target) {
      out.stderr(
        `nightshift renew: no target "${targetId}"; nightshift plan or GET /api/targets lists them (account/clusterId)`,
      );
      return 2;
    }
    const forced = await forceRenewal(
      { store: deps.store, renewals: deps.renewals ?? [] },
      target,
      runtime.cloudNow(),
      { requestedBy: "nightshift renew (CLI)" },
    );
    if (!forced.ok) {
      out.stderr(`nightshift renew: ${forced.message}`);
      return 1;
    }
    const started = Date.now();
    for (;;) {
      const now = runtime.cloudNow();
      const op = await deps.store.operations.get(forced.operationId, now);
      if (!op) throw new Error(`operation ${forced.operationId} disappeared`);
      if (FINISHED.includes(op.status)) {
        const state = await readRenewalState(deps.store, targetId, now);
        out.stdout(
          JSON.stringify(
            {
              target: targetId,
              operationId: op.id,
              status: op.status,
              ...(op.error ? { error: op.error } : {}),
              renewal: state ? renewalView(state.value, now) : null,
            },
            null,
            2,
          ),
        );
        return op.status === "succeeded" ? 0 : 1;
      }
      const report = await runDueOperations({
        store: deps.store,
        jobs: JOBS,
        providers: deps.providerFor,
        ...(deps.kube ? { kube: deps.kube } : {}),
        ...(deps.renewal ? { renewal: deps.renewal } : {}),
        selected: [op],
        now,
        log,
        holder: `${deps.holder}:renew`,
        ...(deps.clock ? { clock: deps.clock } : {}),
        ...(deps.realClock ? { realClock: deps.realClock } : {}),
      });
      if (report.errors.length > 0) throw new Error(report.errors.map((e) => e.message).join("; "));
      if (report.advanced === 0) {
        // Another process (a running service) holds the target: it is advancing the operation.
        if (Date.now() - started > LEASE_WAIT_MS) {
          out.stdout(
            JSON.stringify(
              {
                target: targetId,
                operationId: op.id,
                status: op.status,
                note: "a running service is renewing it; see GET /api/targets/{id}/renewal",
              },
              null,
              2,
            ),
          );
          return 0;
        }
        await sleep(1000);
      }
    }
  } finally {
    await runtime.close();
  }
}
