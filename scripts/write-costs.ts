/** Rewrites the README's cost section from the cost model (infra/costs-readme.ts): `npm run costs`. */
import { readFileSync, writeFileSync } from "node:fs";
import { costSection, withCostSection } from "../infra/costs-readme.js";

const file = new URL("../README.md", import.meta.url);
writeFileSync(file, withCostSection(readFileSync(file, "utf8"), costSection()));
