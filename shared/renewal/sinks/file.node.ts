// The file sink (Node host): writes the kubeconfig to a file that CI or an agent on the same
// machine reads. Written atomically: a temporary file in the same directory (created exclusively,
// mode 0600), flushed to disk, then renamed over the target, so a reader sees the old file or the
// new one, never a part; the directory is flushed too, so the rename survives a crash.
// Refused: a path outside the sink's allowed directory (also through a symlinked directory), and a
// target that is a symlink (whoever planted it chose where the credential would go).
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { lstat, open, realpath, rename, unlink } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { type CredentialSink, type DeliveryResult, SinkConfigError } from "./sink.ts";

export interface FileSinkOptions {
  name: string;
  /** The file to write: absolute, or relative to `allowedDirectory`. */
  path: string;
  /** The only directory (with its subdirectories) this sink may write in. */
  allowedDirectory: string;
}

const FILE_MODE = 0o600;

function inside(directory: string, candidate: string): boolean {
  const rel = relative(directory, candidate);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
}

export function fileSink(options: FileSinkOptions): CredentialSink {
  if (!isAbsolute(options.allowedDirectory)) {
    throw new SinkConfigError(
      "allowedDirectory",
      `sink ${options.name}: the allowed directory must be an absolute path, got ${options.allowedDirectory}`,
    );
  }
  const allowed = resolve(options.allowedDirectory);
  const target = resolve(allowed, options.path);
  if (!inside(allowed, target)) {
    throw new SinkConfigError(
      "path",
      `sink ${options.name}: ${options.path} is outside the allowed directory ${allowed}; write the kubeconfig inside it, e.g. ${join(allowed, "kubeconfig.yaml")}`,
    );
  }
  const refuse = (message: string): DeliveryResult => ({
    ok: false,
    reason: "rejected-path",
    retryable: false,
    message,
  });

  return {
    name: options.name,
    kind: "file",
    destination: target,
    async deliver(delivery): Promise<DeliveryResult> {
      // Symlinks are judged on the real paths: the directory as it resolves now must still be
      // inside the allowed one, and the target itself must not be a link.
      let realAllowed: string;
      let realParent: string;
      try {
        realAllowed = await realpath(allowed);
        realParent = await realpath(dirname(target));
      } catch (error) {
        return {
          ok: false,
          reason: "write-failed",
          retryable: true,
          message: `${dirname(target)} is not there (${codeOf(error)}); create the directory`,
        };
      }
      const realTarget = join(realParent, basename(target));
      if (!inside(realAllowed, realTarget)) {
        return refuse(
          `${target} resolves to ${realTarget}, outside the allowed directory ${realAllowed} (a symlinked directory); not written`,
        );
      }
      try {
        const existing = await lstat(realTarget);
        if (existing.isSymbolicLink())
          return refuse(`${target} is a symlink; not written through it: remove the link`);
        if (!existing.isFile()) return refuse(`${target} exists and is not a regular file; not written`);
      } catch (error) {
        if (codeOf(error) !== "ENOENT") {
          return {
            ok: false,
            reason: "write-failed",
            retryable: true,
            message: `${target} could not be inspected (${codeOf(error)})`,
          };
        }
      }
      const temporary = join(realParent, `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
      try {
        // O_EXCL | O_NOFOLLOW: never reuse or follow anything already at the temporary name.
        const handle = await open(
          temporary,
          constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
          FILE_MODE,
        );
        try {
          await handle.chmod(FILE_MODE); // whatever the umask
          await handle.writeFile(delivery.kubeconfig, "utf8");
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temporary, realTarget);
        await syncDirectory(realParent);
      } catch (error) {
        await unlink(temporary).catch(() => {});
        return {
          ok: false,
          reason: "write-failed",
          retryable: true,
          message: `${target} could not be written (${codeOf(error)})`,
        };
      }
      return { ok: true, detail: `wrote ${target} (mode 0600, serial ${delivery.certificate.serial})` };
    },
  };
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The error's code only (ENOENT, EACCES): a message could quote more than a path. */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : error instanceof Error ? error.name : "unknown error";
}
