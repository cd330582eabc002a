// Peak RSS per section: /proc's figures read exactly, and the watch measuring a child that holds
// a known amount of memory (and the bench process itself), not guessing it.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { PeakTracker, parseStatus, processName, watchMemory } from "./rss.ts";

const STATUS = `Name:\tworkerd
Umask:\t0022
State:\tS (sleeping)
Pid:\t4242
VmPeak:\t 9000000 kB
VmHWM:\t  181234 kB
VmRSS:\t  150000 kB
RssAnon:\t   99000 kB
`;

describe("reading /proc", () => {
  it("takes the peak (VmHWM) and the resident size (VmRSS) in bytes; none for a zombie", () => {
    expect(parseStatus(STATUS)).toEqual({ peak: 181234 * 1024, resident: 150000 * 1024 });
    expect(parseStatus("Name:\tnode\nState:\tZ (zombie)\nPid:\t7\n")).toBeNull();
  });

  it("names processes by their program, or their script for Node", () => {
    expect(
      processName("/work/node_modules/@cloudflare/workerd-linux-64/bin/workerd\0serve\0--binary\0"),
    ).toBe("workerd");
    expect(processName("/usr/bin/node\0/work/test/bench/webhooks-server.ts\0sqlite\0")).toBe(
      "node webhooks-server.ts",
    );
    expect(processName("node\0--input-type=module\0-e\0const cpu = 1;\0/tmp/worker.mjs\0")).toBe("node -e");
    expect(processName("redis-server 127.0.0.1:6380\0")).toBe("redis-server");
    expect(processName("")).toBe("?");
  });

  it("keeps each process's highest peak and the most the processes held at once", () => {
    const tracker = new PeakTracker();
    tracker.add(
      new Map([
        [10, { name: "workerd", peak: 100, resident: 90 }],
        [11, { name: "redis-server", peak: 50, resident: 50 }],
      ]),
    );
    tracker.add(new Map([[10, { name: "workerd", peak: 120, resident: 60 }]])); // redis ended
    tracker.add(new Map([[12, { name: "node -e", peak: 110, resident: 110 }]]));
    expect(tracker.result()).toEqual({
      largestChild: { bytes: 120, name: "workerd" },
      childrenTogether: 140,
      children: 3,
    });
    expect(new PeakTracker().result()).toEqual({ largestChild: null, childrenTogether: 0, children: 0 });
  });
});

describe.runIf(process.platform === "linux")("watchMemory", () => {
  it("measures a child holding 200 MiB and this process's own 150 MiB, within the section only", async () => {
    const MIB = 1024 * 1024;
    const watch = (await watchMemory())!;
    try {
      await watch.begin();
      const child = spawn(
        process.execPath,
        ["-e", "const b = Buffer.alloc(200 * 1024 * 1024); b.fill(1); setTimeout(() => {}, 600);"],
        { stdio: "ignore" },
      );
      const held = Buffer.alloc(150 * MIB);
      held.fill(1);
      await once(child, "exit");
      const during = await watch.end();
      expect(during.largestChild!.name).toBe("node -e");
      expect(during.largestChild!.bytes).toBeGreaterThanOrEqual(200 * MIB);
      expect(during.largestChild!.bytes).toBeLessThan(400 * MIB);
      // At least the child: a process this one started earlier and that still runs (esbuild's service) counts too.
      expect(during.children).toBeGreaterThanOrEqual(1);
      expect(during.bench!).toBeGreaterThanOrEqual(150 * MIB);

      // The next section starts afresh: the child that exited is not counted again.
      await watch.begin();
      const after = await watch.end();
      expect(after.largestChild?.name).not.toBe("node -e");
      expect(after.children).toBe(during.children - 1);
      held.fill(2); // still held: the peak was measured with it
    } finally {
      watch.stop();
    }
  }, 20_000);
});
