/**
 * Byte transfers with a progress bar: a presigned PUT written in chunks (node:http, so the bytes
 * counted are the bytes sent, with the Content-Length a presigned URL requires), and a response
 * body read chunk by chunk against its Content-Length.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { SemlaError } from "@semla/core";
import { UnreachableError } from "../program/failure.js";
import { transferProgress } from "../progress.js";

const CHUNK = 256 * 1024;

/** PUTs `bytes` to a presigned `url` (its signed headers as given); resolves with the answer's status and body text. */
export async function putWithProgress(url: string, headers: Record<string, string>, bytes: Uint8Array, label = "uploading"): Promise<{ status: number; text: string }> {
  const target = new URL(url);
  const progress = transferProgress(label, bytes.byteLength);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, { method: "PUT", headers: { ...headers, "content-length": String(bytes.byteLength) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", (error) => reject(new UnreachableError(target.origin, error)));
    let sent = 0;
    const write = () => {
      while (sent < bytes.byteLength) {
        const chunk = bytes.subarray(sent, Math.min(sent + CHUNK, bytes.byteLength));
        sent += chunk.byteLength;
        progress.update(sent);
        if (!req.write(chunk)) {
          req.once("drain", write);
          return;
        }
      }
      progress.finish();
      req.end();
    };
    write();
  });
}

/** A response's body, counted against its Content-Length (a bar for large ones; none when the length is unknown). */
export async function readWithProgress(response: Response, label = "downloading"): Promise<Uint8Array> {
  const total = Number(response.headers.get("content-length") ?? Number.NaN);
  if (!response.body || !Number.isFinite(total)) return new Uint8Array(await response.arrayBuffer());
  const progress = transferProgress(label, total);
  const out = new Uint8Array(total);
  let done = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (done + chunk.byteLength > total) throw new SemlaError("cli.download-size", `the download sent more than the ${total} bytes it announced: try again`);
    out.set(chunk, done);
    done += chunk.byteLength;
    progress.update(done);
  }
  if (done !== total) throw new SemlaError("cli.download-size", `the download ended after ${done} of ${total} bytes: try again`);
  progress.finish();
  return out;
}
