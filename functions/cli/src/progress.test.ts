import { describe, expect, it } from "vitest";
import { TRANSFER_PROGRESS_MIN_BYTES, transferLine, transferProgress } from "./progress.js";

const MiB = 1024 * 1024;

describe("a transfer's progress line", () => {
  it("counts bytes with the rate and the time left at that rate", () => {
    expect(transferLine("uploading", 12 * MiB, 40 * MiB, 3)).toBe(`uploading ${"█".repeat(9)}${"·".repeat(21)} 12.0 MiB/40.0 MiB 30% 4.0 MiB/s ETA 7 s`);
    expect(transferLine("downloading", 10 * MiB, 500 * MiB, 2)).toBe(`downloading ${"█".repeat(1)}${"·".repeat(29)} 10.0 MiB/500.0 MiB 2% 5.0 MiB/s ETA 1:38`);
    expect(transferLine("uploading", 40 * MiB, 40 * MiB, 8)).toBe(`uploading ${"█".repeat(30)} 40.0 MiB/40.0 MiB 100% 5.0 MiB/s done`);
    expect(transferLine("uploading", 0, 40 * MiB, 0)).toBe(`uploading ${"·".repeat(30)} 0 B/40.0 MiB 0% 0 B/s ETA ?`);
  });

  it("says nothing for a small transfer, and ends a large one with its last line (not a terminal: plain lines)", () => {
    const written: string[] = [];
    const stream = { isTTY: false, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
    const small = transferProgress("uploading", TRANSFER_PROGRESS_MIN_BYTES - 1, stream);
    small.update(10);
    small.finish();
    expect(written).toEqual([]);
    const large = transferProgress("uploading", 4 * MiB, stream);
    large.update(MiB);
    large.update(2 * MiB); // within 2 s of the last line: not printed
    large.finish();
    large.finish();
    expect(written).toHaveLength(2);
    expect(written[0]).toMatch(/^uploading █{8}·{22} 1\.0 MiB\/4\.0 MiB 25% .* ETA .*\n$/);
    expect(written[1]).toMatch(/^uploading █{30} 4\.0 MiB\/4\.0 MiB 100% .* done\n$/);
  });
});
