import { describe, expect, it } from "vitest";
import { BankSessions } from "./bank-sessions.js";

class FakeSession {
  closed = false;
  constructor(readonly name: string) {}
  async close(): Promise<void> {
    this.closed = true;
  }
}

function sessions(options: { maxBytes?: number; fail?: (library: string, generation: number) => boolean; bytes?: number } = {}) {
  const built: FakeSession[] = [];
  const errors: string[] = [];
  let clock = 0;
  const banks = new BankSessions<FakeSession>({
    maxBytes: options.maxBytes ?? 100,
    retryAfterMs: 1000,
    now: () => clock,
    onBuildError: (error, bank) => errors.push(`${bank.library}@${bank.generation}: ${(error as Error).message}`),
    build: async (library, generation) => {
      if (options.fail?.(library, generation)) throw new Error("manifest missing");
      const session = new FakeSession(`${library}@${generation}`);
      built.push(session);
      return { session, bytes: options.bytes ?? 40 };
    },
  });
  return { banks, built, errors, tick: (ms: number) => (clock += ms) };
}

describe("bank sessions per library", () => {
  it("builds a library's bank in the background: null until it is ready, then the session", async () => {
    const { banks, built } = sessions();
    expect(banks.ready("lib", 1)).toBeNull();
    expect(banks.ready("lib", 1)).toBeNull(); // one build, not two
    await banks.settled("lib");
    expect(banks.ready("lib", 1)?.name).toBe("lib@1");
    expect(built.map((s) => s.name)).toEqual(["lib@1"]);
    expect(banks.stats).toEqual({ ready: 1, building: 0, bytes: 40, builds: 1, evictions: 0 });
  });

  it("keeps serving the held generation while a newer one builds, then replaces and closes it", async () => {
    const { banks, built } = sessions();
    banks.ready("lib", 1);
    await banks.settled("lib");
    expect(banks.ready("lib", 2)).toBeNull(); // starts generation 2
    expect(banks.ready("lib", 1)?.name).toBe("lib@1"); // still served
    await banks.settled("lib");
    expect(banks.ready("lib", 2)?.name).toBe("lib@2");
    expect(built[0]?.closed).toBe(true);
    expect(banks.ready("lib", 1)).toBeNull(); // a stale plan: not rebuilt
    expect(banks.stats.builds).toBe(2);
  });

  it("evicts the least recently used library's bank over the memory budget, closing it", async () => {
    const { banks, built } = sessions({ maxBytes: 100 });
    for (const library of ["a", "b"]) {
      banks.ready(library, 1);
      await banks.settled(library);
    }
    banks.ready("a", 1); // a used last
    banks.ready("c", 1);
    await banks.settled("c");
    expect(["a", "b", "c"].map((l) => banks.ready(l, 1)?.name ?? null)).toEqual(["a@1", null, "c@1"]);
    expect(built.find((s) => s.name === "b@1")?.closed).toBe(true);
    expect(banks.stats).toMatchObject({ ready: 2, bytes: 80, evictions: 1 });
    await banks.settled("b");
  });

  it("does not retry a failed build before retryAfterMs, and refuses a bank over the whole budget", async () => {
    const { banks, errors, tick } = sessions({ fail: (library) => library === "broken" });
    banks.ready("broken", 4);
    await banks.settled("broken");
    expect(banks.ready("broken", 4)).toBeNull();
    expect(banks.stats.builds).toBe(1);
    tick(1000);
    banks.ready("broken", 4);
    await banks.settled("broken");
    expect(banks.stats.builds).toBe(2);
    expect(errors).toEqual(["broken@4: manifest missing", "broken@4: manifest missing"]);
    const huge = sessions({ bytes: 101 });
    huge.banks.ready("lib", 1);
    await huge.banks.settled("lib");
    expect(huge.banks.ready("lib", 1)).toBeNull();
    expect(huge.built[0]?.closed).toBe(true);
    expect(huge.errors).toEqual(["lib@1: the bank of lib at generation 1 needs 101 bytes, over the 100-byte budget"]);
  });

  it("closes every held session on close, and refuses requests after", async () => {
    const { banks, built } = sessions();
    banks.ready("a", 1);
    await banks.settled("a");
    await banks.close();
    expect(built[0]?.closed).toBe(true);
    expect(() => banks.ready("a", 1)).toThrow("the bank sessions are closed");
  });
});
