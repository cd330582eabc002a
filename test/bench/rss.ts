// Peak resident memory per bench section, as the kernel counts it (Linux /proc):
// - the bench process: its high-water mark (VmHWM), reset at each section's start by writing 5 to
//   /proc/self/clear_refs, read at its end; exact;
// - the processes it starts (workerd through wrangler, the Node services and the sandbox,
//   redis-server, and theirs): a sampler process (rss-sampler.ts) walks the bench process's
//   descendants every SAMPLE_MS and keeps each one's VmHWM, which the kernel keeps as the peak of
//   its whole life; a child's growth in its last SAMPLE_MS before it exits, or a child living less
//   than that, is missed. The sampler runs in its own process so that a section holding the event
//   loop (planning) does not stop it, and so its own memory is not counted as the bench's.
import { type ChildProcess, fork } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

export const SAMPLE_MS = 100;

/** What a section's processes held at their peak, in bytes. */
export interface SectionMemory {
  /** The bench process's own peak during the section; null where it cannot be reset (not Linux). */
  bench: number | null;
  /** The descendant with the highest peak, and its name ("workerd", "node webhooks-server.ts"). */
  largestChild: { bytes: number; name: string } | null;
  /** The most the descendants held at once (sum of their resident sizes in one sample). */
  childrenTogether: number;
  /** Descendant processes seen during the section. */
  children: number;
  /** CPU time the sampler took during the section (ms): its cost to the figures. */
  samplerCpuMs: number;
}

export interface ProcessMemory {
  name: string;
  /** Peak resident bytes over the process's life (VmHWM). */
  peak: number;
  /** Resident bytes now (VmRSS). */
  resident: number;
}

/** VmHWM and VmRSS from a /proc/<pid>/status text; null for a process without memory (a zombie, a kernel thread). */
export function parseStatus(text: string): Omit<ProcessMemory, "name"> | null {
  const kib = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  };
  const peak = kib("VmHWM");
  const resident = kib("VmRSS");
  return peak === undefined || resident === undefined ? null : { peak, resident };
}

/**
 * A process's name from its NUL-separated command line: "workerd", "node webhooks-server.ts" for a
 * script, "node -e" for evaluated code.
 */
export function processName(cmdline: string): string {
  const [program = "", ...args] = cmdline.split("\0").filter((a) => a.length > 0);
  const base = (path: string) => path.slice(path.lastIndexOf("/") + 1);
  // redis-server rewrites its command line to one string ("redis-server 127.0.0.1:6380").
  const name = base(program.split(" ")[0]!);
  if (name !== "node") return name || "?";
  if (args.some((a) => ["-e", "--eval", "-p", "--print"].includes(a))) return "node -e";
  const script = args.find((a) => !a.startsWith("-"));
  return script ? `node ${base(script)}` : "node";
}

/** The peaks of one section, from the samples taken during it. */
export class PeakTracker {
  private readonly peaks = new Map<number, { name: string; peak: number }>();
  private together = 0;

  /** One sample: every descendant alive at that moment. */
  add(sample: ReadonlyMap<number, ProcessMemory>): void {
    let resident = 0;
    for (const [pid, p] of sample) {
      resident += p.resident;
      const seen = this.peaks.get(pid);
      if (!seen || p.peak > seen.peak) this.peaks.set(pid, { name: p.name, peak: p.peak });
    }
    this.together = Math.max(this.together, resident);
  }

  result(): Pick<SectionMemory, "largestChild" | "childrenTogether" | "children"> {
    let largest: SectionMemory["largestChild"] = null;
    for (const { name, peak } of this.peaks.values())
      if (!largest || peak > largest.bytes) largest = { bytes: peak, name };
    return { largestChild: largest, childrenTogether: this.together, children: this.peaks.size };
  }
}

function resetOwnPeak(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

function ownPeak(): number | null {
  try {
    return parseStatus(readFileSync("/proc/self/status", "utf8"))?.peak ?? null;
  } catch {
    return null;
  }
}

export interface MemoryWatch {
  /** Starts a section: the bench process's peak reset, the sampler's peaks forgotten. */
  begin(): Promise<void>;
  /** Ends it: the peaks since `begin`. */
  end(): Promise<SectionMemory>;
  stop(): void;
}

type SamplerReply = { type: "begun" } | ({ type: "peaks" } & Omit<SectionMemory, "bench">);

/** Starts the sampler; null where /proc does not tell peaks (not Linux). */
export async function watchMemory(): Promise<MemoryWatch | null> {
  if (ownPeak() === null) return null;
  const sampler: ChildProcess = fork(
    new URL("./rss-sampler.ts", import.meta.url).pathname,
    [String(SAMPLE_MS)],
    {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  const ask = (message: { type: "begin" | "end" }, reply: SamplerReply["type"]) =>
    new Promise<SamplerReply>((resolve, reject) => {
      const onMessage = (m: SamplerReply) => {
        if (m.type !== reply) return;
        sampler.off("exit", onExit);
        sampler.off("message", onMessage);
        resolve(m);
      };
      const onExit = (code: number | null) => {
        sampler.off("message", onMessage);
        reject(new Error(`the memory sampler exited (${code}) before answering ${message.type}`));
      };
      sampler.on("message", onMessage);
      sampler.once("exit", onExit);
      sampler.send(message);
    });
  let resettable = false;
  return {
    async begin() {
      await ask({ type: "begin" }, "begun");
      resettable = resetOwnPeak();
    },
    async end() {
      const bench = resettable ? ownPeak() : null;
      const { type: _, ...children } = (await ask({ type: "end" }, "peaks")) as Extract<
        SamplerReply,
        { type: "peaks" }
      >;
      return { bench, ...children };
    },
    stop() {
      if (sampler.connected) sampler.disconnect();
    },
  };
}
