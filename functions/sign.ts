// `nightshift sign`: decode request lines, sign each with the shared signer, encode the result.
// Contract: stdin holds one JSON request or many as JSON Lines; stdout gets one JSON line per
// good request ({headers, canonicalRequest, stringToSign}); each bad line gets one message naming
// the line and the field, and every other line is still answered.
import * as z from "zod";
import { signRequest } from "../shared/signer/index.ts";
import { SignerInputError } from "../shared/signer/request.ts";

const MAX_EXPIRATION_SECONDS = 7 * 24 * 3600;

const signRequestSchema = z
  .strictObject(
    {
      vendor: z.enum(["huawei", "alibaba", "baidu"], { message: 'must be "huawei", "alibaba" or "baidu"' }),
      accessKeyId: z.string({ message: "must be a string" }).min(1, "must not be empty"),
      secretAccessKey: z.string({ message: "must be a string" }).min(1, "must not be empty"),
      securityToken: z
        .string({ message: "must be a string" })
        .min(1, "must not be empty when given")
        .optional(),
      method: z
        .string({ message: "must be a string" })
        .regex(/^[A-Za-z]+$/, "must be an HTTP method such as GET, POST, PUT or DELETE"),
      url: z.string({ message: "must be a string holding an absolute URL" }),
      headers: z
        .record(z.string(), z.string({ message: "header values must be strings" }), {
          message:
            'must be an object of header names to string values, e.g. {"Content-Type": "application/json"}',
        })
        .optional(),
      body: z.string({ message: "must be a string (the exact bytes to send, as UTF-8 text)" }).optional(),
      now: z.iso
        .datetime({
          offset: true,
          message: "must be an ISO-8601 time with a zone, e.g. 2026-11-22T08:00:00Z",
        })
        .optional(),
      signature: z
        .enum(["acs3", "roa"], {
          message: 'must be "acs3" (Alibaba signature V3, the default) or "roa" (Apsara Stack ASAPI)',
        })
        .optional(),
      expirationSeconds: z
        .number({ message: "must be a number of seconds" })
        .int("must be a whole number of seconds")
        .min(1, "must be at least 1")
        .max(MAX_EXPIRATION_SECONDS, `must be at most ${MAX_EXPIRATION_SECONDS} (7 days)`)
        .optional(),
    },
    { message: "must be a JSON object" },
  )
  .refine((r) => r.expirationSeconds === undefined || r.vendor === "baidu", {
    path: ["expirationSeconds"],
    message: 'only applies to vendor "baidu"; remove it',
  })
  .refine((r) => r.signature === undefined || r.vendor === "alibaba", {
    path: ["signature"],
    message: 'only applies to vendor "alibaba"; remove it',
  });

export type SignRequestLine = z.infer<typeof signRequestSchema>;

export interface SignLinesOptions {
  now: () => Date;
  nonce: () => string;
  write: (line: string) => void;
}

export async function signLines(
  input: string,
  options: SignLinesOptions,
): Promise<{ signed: number; errors: string[] }> {
  const errors: string[] = [];
  let signed = 0;
  for (const { line, text } of requestTexts(input)) {
    const outcome = await signOne(text, options);
    if ("error" in outcome) {
      errors.push(`line ${line}: ${outcome.error}`);
      continue;
    }
    options.write(JSON.stringify(outcome.result));
    signed++;
  }
  if (signed === 0 && errors.length === 0) errors.push("no request on stdin; give one JSON object per line");
  return { signed, errors };
}

/** One request (possibly pretty-printed over several lines) or JSON Lines, with line numbers. */
function requestTexts(input: string): Array<{ line: number; text: string }> {
  const trimmed = input.trim();
  if (trimmed.startsWith("{") && trimmed.includes("\n")) {
    try {
      JSON.parse(trimmed);
      const leading = input.slice(0, input.indexOf("{")).split("\n").length;
      return [{ line: leading, text: trimmed }];
    } catch {
      // Not one object spread over lines: read it as JSON Lines.
    }
  }
  return input
    .split("\n")
    .map((text, index) => ({ line: index + 1, text: text.trim() }))
    .filter(({ text }) => text !== "");
}

async function signOne(text: string, options: SignLinesOptions) {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { error: "is not valid JSON; give one JSON object per line" };
  }
  const parsed = signRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field =
      issue.code === "unrecognized_keys"
        ? issue.keys[0]
        : issue.path.length > 0
          ? issue.path.join(".")
          : undefined;
    const message =
      issue.code === "unrecognized_keys" ? "is not a known field; check its spelling" : issue.message;
    return { error: field ? `field "${field}": ${message}` : message };
  }
  const request = parsed.data;
  try {
    const result = await signRequest(
      {
        vendor: request.vendor,
        credentials: {
          accessKeyId: request.accessKeyId,
          secretAccessKey: request.secretAccessKey,
          ...(request.securityToken ? { securityToken: request.securityToken } : {}),
        },
        request: {
          method: request.method.toUpperCase(),
          url: request.url,
          headers: { ...request.headers },
          ...(request.body !== undefined ? { body: request.body } : {}),
        },
        now: request.now ? new Date(request.now) : options.now(),
        ...(request.expirationSeconds !== undefined ? { expirationSeconds: request.expirationSeconds } : {}),
        ...(request.signature !== undefined ? { alibabaSignature: request.signature } : {}),
      },
      { nonce: options.nonce },
    );
    return {
      result: {
        headers: result.headers,
        canonicalRequest: result.canonicalRequest,
        stringToSign: result.stringToSign,
      },
    };
  } catch (error) {
    if (error instanceof SignerInputError) return { error: `field "${error.field}": ${error.message}` };
    throw error;
  }
}
