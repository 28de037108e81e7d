import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { SemlaError } from "@semla/core";
import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { freePort } from "../testing/serve.js";
import { describeFailure, UnreachableError } from "./failure.js";

/** The system error Node itself throws (not one made up): the message is built from its code, path and port. */
async function thrown(work: () => Promise<unknown>): Promise<unknown> {
  return work().then(
    () => expect.unreachable("it succeeded"),
    (error: unknown) => error,
  );
}

describe("what semla prints for a failure, and its exit status", () => {
  it("commander's usage errors exit 2 (it printed them), --help and --version 0", () => {
    expect(describeFailure(new CommanderError(1, "commander.unknownOption", "error: unknown option '--x'"))).toEqual({ message: "", exitCode: 2 });
    expect(describeFailure(new CommanderError(0, "commander.helpDisplayed", "(outputHelp)"))).toEqual({ message: "", exitCode: 0 });
  });

  it("a SemlaError is its message and code, exit 1", () => {
    expect(describeFailure(new SemlaError("cli.no-key", "no API key"))).toEqual({ message: "semla: no API key (cli.no-key)\n", exitCode: 1 });
  });

  it("fetch's 'fetch failed' names the URL, the cause's code and the fix", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const error = await thrown(() => fetch(`${url}/v1/libraries`));
    expect(describeFailure(new UnreachableError(url, error))).toEqual({
      message: `semla: cannot reach the API at ${url} (ECONNREFUSED): start it (npm start in the checkout, or semla serve), or point SEMLA_URL (or --url) at a running one (cli.unreachable)\n`,
      exitCode: 1,
    });
  });

  it("a missing file and a port in use are one line, exit 1", async () => {
    expect(describeFailure(await thrown(() => readFile("/no/such/file.png")))).toEqual({ message: "semla: /no/such/file.png does not exist: check the path (ENOENT)\n", exitCode: 1 });
    const holder = createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => holder.once("listening", resolve));
    const port = (holder.address() as { port: number }).port;
    const second = createServer();
    const error = await new Promise((resolve) => second.once("error", resolve).listen(port, "127.0.0.1"));
    holder.close();
    expect(describeFailure(error)).toEqual({
      message: `semla: port ${port} is in use on 127.0.0.1: stop what listens there, or pick another with --port N (or SEMLA_PORT) (EADDRINUSE)\n`,
      exitCode: 1,
    });
  });

  it("anything else keeps its stack (a bug to report), exit 1", () => {
    const error = new RangeError("boom");
    expect(describeFailure(error)).toEqual({ message: `semla: ${error.stack}\n`, exitCode: 1 });
  });
});
