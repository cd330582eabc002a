// The bench's memory sampler (started by rss.ts with an IPC channel): every `argv[2]` ms it reads
// the peak and current resident size of each descendant of its parent, itself left out. "begin"
// forgets the peaks so far; "end" takes one more sample and answers the section's peaks. It exits
// when its parent disconnects or dies.
import { readdirSync, readFileSync } from "node:fs";
import { PeakTracker, type ProcessMemory, parseStatus, processName } from "./rss.ts";

const root = process.ppid;
const intervalMs = Number(process.argv[2] ?? 100);

const read = (path: string): string | null => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null; // the process (or thread) ended meanwhile
  }
};

/** The descendants of `pid`, through every thread's children list. */
function descendants(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.pop()!;
    let threads: string[] = [];
    try {
      threads = readdirSync(`/proc/${parent}/task`);
    } catch {
      continue;
    }
    for (const thread of threads) {
      for (const child of (read(`/proc/${parent}/task/${thread}/children`) ?? "").split(" ")) {
        const n = Number(child);
        if (child.trim() === "" || n === process.pid) continue;
        found.push(n);
        queue.push(n);
      }
    }
  }
  return found;
}

function sample(): Map<number, ProcessMemory> {
  const processes = new Map<number, ProcessMemory>();
  for (const pid of descendants(root)) {
    const status = read(`/proc/${pid}/status`);
    const memory = status === null ? null : parseStatus(status);
    if (!memory) continue;
    processes.set(pid, { name: processName(read(`/proc/${pid}/cmdline`) ?? ""), ...memory });
  }
  return processes;
}

let tracker = new PeakTracker();
let cpuAtBegin = process.cpuUsage();
const timer = setInterval(() => tracker.add(sample()), intervalMs);

process.on("message", (message: { type: string }) => {
  if (message.type === "begin") {
    tracker = new PeakTracker();
    tracker.add(sample());
    cpuAtBegin = process.cpuUsage();
    process.send!({ type: "begun" });
  } else if (message.type === "end") {
    tracker.add(sample());
    const cpu = process.cpuUsage(cpuAtBegin);
    process.send!({ type: "peaks", ...tracker.result(), samplerCpuMs: (cpu.user + cpu.system) / 1000 });
  }
});
process.on("disconnect", () => {
  clearInterval(timer);
  process.exit(0);
});
