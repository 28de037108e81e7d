import { describe, expect, it } from "vitest";
import { positional } from "./data-api-server.js";

describe("the loopback Data API binds named parameters as the service does", () => {
  it("rewrites :1, :2 … to $n with the type each Field says; a string without a hint is varchar", () => {
    expect(
      positional("insert into t (a, b, c, d, e, f, g) values (:1, :2, :3, :4, :5, :6, :7)", [
        { name: "1", value: { stringValue: "x" } },
        { name: "2", value: { stringValue: "6f1c…" }, typeHint: "UUID" },
        { name: "3", value: { stringValue: '{"a":1}' }, typeHint: "JSON" },
        { name: "4", value: { stringValue: "2026-01-02 03:04:05.678" }, typeHint: "TIMESTAMP" },
        { name: "5", value: { longValue: 7 } },
        { name: "6", value: { doubleValue: 0.5 } },
        { name: "7", value: { isNull: true } },
      ]),
    ).toEqual({
      text: "insert into t (a, b, c, d, e, f, g) values ($1::varchar, $2::uuid, $3::json, $4::timestamp, $5::bigint, $6::double precision, $7)",
      values: ["x", "6f1c…", '{"a":1}', "2026-01-02 03:04:05.678", "7", "0.5", null],
    });
  });

  it("leaves casts, string literals, quoted identifiers and dollar-quoted bodies alone", () => {
    expect(positional(`select :1::vector, ':1', ":1", $$ :1 $$, $f$ :1 $f$ from t where x = :1`, [{ name: "1", value: { booleanValue: true } }]).text).toBe(
      `select $1::boolean::vector, ':1', ":1", $$ :1 $$, $f$ :1 $f$ from t where x = $1::boolean`,
    );
  });

  it("refuses array parameters and a placeholder without a value, as BadRequestException", () => {
    expect(() => positional("select :1", [{ name: "1", value: { arrayValue: { longValues: [1] } } }])).toThrow(
      expect.objectContaining({ exception: "BadRequestException", message: "Array parameters are not supported." }),
    );
    expect(() => positional("select :1, :2", [{ name: "1", value: { longValue: 1 } }])).toThrow(
      expect.objectContaining({ exception: "BadRequestException", message: "No value specified for parameter: 2" }),
    );
  });

  it("sends a statement without parameters as it is", () => {
    expect(positional("CREATE FUNCTION f() RETURNS int AS $$ BEGIN x := 1; END $$", [])).toEqual({ text: "CREATE FUNCTION f() RETURNS int AS $$ BEGIN x := 1; END $$", values: [] });
  });
});
