// The schedules directory on disk → loadScheduleSources. Reads the *.yaml / *.yml files directly
// in the directory (not subfolders: calendars/ holds calendar files, not schedules), in name order
// so messages are stable, and any calendar file a schedule names.
import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type LoadedSchedules, loadScheduleSources } from "./load.ts";

export type { LoadedSchedules } from "./load.ts";

/** The directory itself cannot be read (missing, not a directory): a usage problem, not a file's. */
export class ScheduleDirectoryError extends Error {}

export async function loadSchedules(dir: string): Promise<LoadedSchedules> {
  const names = await scheduleFiles(dir);
  const schedules = await Promise.all(
    names.map(async (name) => ({ name, text: await readFile(join(dir, name), "utf8") })),
  );
  return loadScheduleSources({ dir, schedules, calendarFile: (path) => readCalendar(dir, path) });
}

function readCalendar(dir: string, path: string): string | undefined {
  try {
    return readFileSync(join(dir, path), "utf8");
  } catch {
    return undefined;
  }
}

async function scheduleFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT")
      throw new ScheduleDirectoryError(`${dir} does not exist; give the schedules directory`);
    if (code === "ENOTDIR")
      throw new ScheduleDirectoryError(`${dir} is not a directory; give the schedules directory`);
    // A path no file system takes (too long, a NUL byte) or may read: the argument's fault, said so.
    if (code === "ENAMETOOLONG" || code === "ERR_INVALID_ARG_VALUE" || code === "ERR_INVALID_ARG_TYPE")
      throw new ScheduleDirectoryError(
        `${JSON.stringify(dir.length > 80 ? `${dir.slice(0, 80)}…` : dir)} is not a usable directory path; give the schedules directory`,
      );
    if (code === "EACCES" || code === "EPERM")
      throw new ScheduleDirectoryError(
        `${dir} cannot be read (permission denied); give a readable schedules directory`,
      );
    throw error;
  }
}
