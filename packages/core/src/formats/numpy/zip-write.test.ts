import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readZip } from "./zip.js";
import { writeZip } from "./zip-write.js";

describe("writeZip", () => {
  const members = [
    { name: "adapter_config.json", bytes: new TextEncoder().encode('{"r": 8}\n') },
    { name: "adapter_model.safetensors", bytes: Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) % 256) },
  ];

  it("writes stored members that Python's zipfile lists and reads back with their CRCs checked", () => {
    const file = join(mkdtempSync(join(tmpdir(), "semla-zip-")), "a.zip");
    writeFileSync(file, writeZip(members));
    const script =
      "import json,sys,zipfile,hashlib; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; " +
      "print(json.dumps([[i.filename, i.compress_type, i.file_size, hashlib.sha256(z.read(i)).hexdigest()[:16]] for i in z.infolist()]))";
    const python = spawnSync("/usr/bin/python3", ["-c", script, file], { encoding: "utf8" });
    expect(python.stderr).toBe("");
    expect(JSON.parse(python.stdout)).toEqual([
      ["adapter_config.json", 0, 9, "7cf4db18627e7c19"],
      ["adapter_model.safetensors", 0, 1000, "1f2bc6c47f89c05c"],
    ]);
  });

  it("reads back through readZip byte for byte", async () => {
    const zip = readZip(writeZip(members));
    expect(zip.names()).toEqual(["adapter_config.json", "adapter_model.safetensors"]);
    expect(await zip.read("adapter_model.safetensors")).toEqual(members[1]!.bytes);
  });
});
