import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LOCK_FILE, lockDataFolder, lockHolderOf } from "./folder-lock.js";

/** The pid of a process that has exited (a crashed holder's). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
}

describe("the embedded data folder's lock", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "semla-lock-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const lockText = () => readFile(path.join(dir, LOCK_FILE), "utf8");

  it("is held by one holder: a second is refused at once, naming the holder, until the first releases it", async () => {
    const lock = await lockDataFolder(dir);
    expect(JSON.parse(await lockText())).toEqual({ pid: process.pid, hostname: hostname(), startedAt: lock.holder.startedAt, nonce: lock.holder.nonce });
    expect(await lockHolderOf(dir)).toEqual(lock.holder);

    await expect(lockDataFolder(dir, async (h) => `a semla server (pid ${h.pid}, http://127.0.0.1:8080)`)).rejects.toMatchObject({
      code: "embedded.folder-locked",
      kind: "conflict",
      message: `the data folder ${dir} is in use by a semla server (pid ${process.pid}, http://127.0.0.1:8080): stop it first, or use another --data-dir`,
      details: { pid: process.pid, hostname: hostname(), since: lock.holder.startedAt },
    });

    await lock.release();
    expect(await readdir(dir)).toEqual([]);
    expect(await lockHolderOf(dir)).toBeUndefined();
    await (await lockDataFolder(dir)).release();
  });

  it("takes over a lock whose holder died", async () => {
    const pid = deadPid();
    await writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ pid, hostname: hostname(), startedAt: "2020-01-01T00:00:00.000Z", nonce: "crashed" }));
    expect(await lockHolderOf(dir)).toBeUndefined();
    const lock = await lockDataFolder(dir);
    expect(JSON.parse(await lockText())).toMatchObject({ pid: process.pid, nonce: lock.holder.nonce });
    await lock.release();
  });

  it("lets exactly one of many racing takers take over a dead holder's lock; the others are refused, naming it", async () => {
    await writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), hostname: hostname(), startedAt: "2020-01-01T00:00:00.000Z", nonce: "crashed" }));
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => lockDataFolder(dir)));
    const won = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(Array(7).fill("embedded.folder-locked"));
    expect(JSON.parse(await lockText()).nonce).toBe(won[0]!.holder.nonce);
    await won[0]!.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it("releases only its own holding: a lock another process has since taken is left alone", async () => {
    const lock = await lockDataFolder(dir);
    const other = JSON.stringify({ pid: process.ppid, hostname: hostname(), startedAt: "2021-01-01T00:00:00.000Z", nonce: "other" });
    await writeFile(path.join(dir, LOCK_FILE), other);
    await lock.release();
    expect(await lockText()).toBe(other);
  });

  it("counts a holder on another host as alive (its pid cannot be checked here) and says which file to remove", async () => {
    await writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), hostname: "elsewhere", startedAt: "2020-01-01T00:00:00.000Z", nonce: "far" }));
    await expect(lockDataFolder(dir)).rejects.toMatchObject({ code: "embedded.folder-locked", message: expect.stringMatching(/: on host elsewhere; if it is gone, remove .*semla\.lock$/) });
  });

  it("refuses a lock file that is not semla's rather than removing it", async () => {
    await writeFile(path.join(dir, LOCK_FILE), "not json");
    await expect(lockDataFolder(dir)).rejects.toMatchObject({ code: "embedded.lock-unreadable" });
    expect(await lockText()).toBe("not json");
  });
});
