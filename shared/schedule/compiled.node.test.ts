import { describe, expect, it } from "vitest";
import { compileSchedules, loadCompiledSchedules } from "./compiled.ts";
import { loadSchedules } from "./load.node.ts";

describe("compiled schedules", () => {
  it("come back from their JSON as the schedules loaded from the files, calendars answering alike", async () => {
    const loaded = await loadSchedules("schedules");
    if ("errors" in loaded) throw new Error(JSON.stringify(loaded.errors));
    const back = loadCompiledSchedules(JSON.parse(JSON.stringify(compileSchedules(loaded))));
    expect(back.schedules).toEqual(loaded.schedules);
    expect(back.renewals).toEqual(loaded.renewals);
    expect(back.rules).toEqual(loaded.rules);
    expect(back.rates).toEqual(loaded.rates);
    expect([...back.calendars.keys()]).toEqual([...loaded.calendars.keys()]);
    const company = loaded.calendars.get("calendars/company.yaml")!;
    expect(back.calendars.get("calendars/company.yaml")).toMatchObject({
      name: company.name,
      coverage: company.coverage,
      replaces: company.replaces,
    });
    // Every day of 2025-2031 (official, provisional and beyond), in every calendar.
    for (const [ref, calendar] of loaded.calendars) {
      const compiled = back.calendars.get(ref)!;
      for (let day = Date.UTC(2025, 0, 1); day < Date.UTC(2032, 0, 1); day += 86_400_000) {
        const date = new Date(day).toISOString().slice(0, 10);
        expect([ref, date, compiled.dayKind(date), compiled.describe(date)]).toEqual([
          ref,
          date,
          calendar.dayKind(date),
          calendar.describe(date),
        ]);
      }
    }
  });
});
