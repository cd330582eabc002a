// Structured JSON logging: one object per line, every field passed through the redactor.
import { createRedactor, type Redactor } from "./redact.ts";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /**
   * A line machines keep and a person at a terminal does not need (every tick, every step): info
   * in JSON, debug in the text format, where the outcome lines tell the story.
   */
  routine(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. the operation or target being worked on). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; defaults to console.log, which both Workers and Node collect. */
  write?: (line: string) => void;
  now?: () => Date;
  /** Secret values from the configuration, masked wherever they appear. */
  secrets?: readonly string[];
  fields?: LogFields;
  /** "json" (default): one object per line; "text": short lines for a person at a terminal. */
  format?: "json" | "text";
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const redactor = createRedactor(options.secrets);
  const minimum = LOG_LEVELS.indexOf(options.level ?? "info");
  const write = options.write ?? ((line: string) => console.log(line));
  const now = options.now ?? (() => new Date());
  const format = options.format ?? "json";
  return build(options.fields ?? {}, { redactor, minimum, write, now, format });
}

interface Sink {
  redactor: Redactor;
  minimum: number;
  write: (line: string) => void;
  now: () => Date;
  format: "json" | "text";
}

/** `14:02:05 warn  message  key=value ...`: the time is local; values that are objects as JSON. */
function textLine(time: Date, level: LogLevel, message: string, fields: LogFields): string {
  const clock = time.toTimeString().slice(0, 8);
  const parts = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  return [clock, level === "info" ? "" : level.toUpperCase(), message, ...parts]
    .filter((part) => part !== "")
    .join("  ");
}

function build(base: LogFields, sink: Sink): Logger {
  const emit = (level: LogLevel, message: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(level) < sink.minimum) return;
    const record = sink.redactor.value({ ...base, ...fields }) as LogFields;
    if (sink.format === "text") {
      sink.write(textLine(sink.now(), level, sink.redactor.string(message), record));
      return;
    }
    let line: string;
    try {
      line = JSON.stringify({
        time: sink.now().toISOString(),
        level,
        msg: sink.redactor.string(message),
        ...record,
      });
    } catch {
      line = JSON.stringify({ time: sink.now().toISOString(), level, msg: sink.redactor.string(message) });
    }
    sink.write(line);
  };
  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    routine: (message, fields) => emit(sink.format === "text" ? "debug" : "info", message, fields),
    child: (fields) => build({ ...base, ...fields }, sink),
  };
}
