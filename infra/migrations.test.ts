import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { migrationsDigest } from "./migrations";

/** A migrations folder as drizzle-kit writes it: SQL files and meta/_journal.json. */
function folder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "semla-migrations-"));
  mkdirSync(path.join(dir, "meta"));
  writeFileSync(path.join(dir, "0000_a.sql"), "CREATE EXTENSION vector;\n");
  writeFileSync(path.join(dir, "meta/_journal.json"), '{"entries":[]}\n');
  return dir;
}

describe("the migrations digest (what re-runs the migrator on deploy)", () => {
  test("is sha256 over each file's relative path and bytes, NUL-separated, in name order", () => {
    // = printf '0000_a.sql\0%s\0meta/_journal.json\0%s\0' "$(cat 0000_a.sql)" ... | sha256sum
    expect(migrationsDigest(folder())).toBe("70fd9e448d6b431a7823259b453ac002b6cb523343571415cc53d308709c3d8b");
  });

  test("changes with a file's bytes and with its name", () => {
    const edited = folder();
    writeFileSync(path.join(edited, "0000_a.sql"), "CREATE EXTENSION vector;\n\n");
    const renamed = folder();
    renameSync(path.join(renamed, "0000_a.sql"), path.join(renamed, "0000_b.sql"));
    const digests = new Set([migrationsDigest(folder()), migrationsDigest(edited), migrationsDigest(renamed)]);
    expect(digests.size).toBe(3);
  });
});
