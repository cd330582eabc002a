// 1,000 concurrent deliveries of one event (Alertmanager HA pairs and retries send duplicates):
// exactly one is accepted, one operation is created, and the cloud sees exactly one resize. Run
// against every store backend: memory (resize-duplicates.test.ts), SQLite and Redis
// (.node.test.ts), D1 inside workerd (.workers.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../../shared/store/store.ts";
import { alert, loadText, markRequests, type ResizeHarness, startResizeHarness } from "./resize-harness.ts";

const RULE = `kind: resize
name: grow-batch
match: { type: BatchBacklog }
action: { add: 1 }
max: 10
`;

export function duplicateStorm(backend: string, makeStore: () => Promise<Store>, deliveries = 1000) {
  describe(`${deliveries} concurrent duplicate deliveries: ${backend}`, () => {
    let h: ResizeHarness;
    beforeAll(async () => {
      h = await startResizeHarness({ seed: 47, start: "2026-03-02T02:00:00Z", store: await makeStore() });
    }, 60_000);
    afterAll(async () => {
      await h?.stop();
      await h?.store.close();
    });

    it("accept one, create one operation, resize once", async () => {
      await markRequests(h);
      const before = await h.pool("batch");
      const { account, clusterId } = await h.devCore();
      const accept = h.accept(loadText(RULE).rules);
      const event = alert(
        { alertname: "BatchBacklog", account, cluster: clusterId, pool: "batch" },
        { id: "storm-1" },
      );
      const answers = await Promise.all(Array.from({ length: deliveries }, () => accept([event], h.now())));
      const results = answers.map(([answer]) => answer!);
      expect(results.filter((r) => r.status === "accepted")).toHaveLength(1);
      expect(results.filter((r) => r.status === "duplicate")).toHaveLength(deliveries - 1);
      const operations = await h.store.operations.list({}, h.now());
      expect(operations.map((op) => op.kind)).toEqual(["resize"]);
      const duplicates = await h.store.ledger.query({
        operationId: "event:alertmanager:storm-1",
        limit: 1000,
      });
      expect(duplicates.filter((e) => e.kind === "event.duplicate")).toHaveLength(deliveries - 1);

      await h.runAll();
      expect(await h.poolWrites()).toHaveLength(1);
      expect((await h.pool("batch")).desired).toBe(before.desired + 1);
      // A late copy after it all: still a duplicate.
      expect((await accept([event], h.now()))[0]).toMatchObject({ status: "duplicate", operations: [] });
    }, 120_000);
  });
}
