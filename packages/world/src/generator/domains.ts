/**
 * The named domains of the world: each is a list of shifts with strengths. Single shifts cover the
 * usual corruption families; combinations (fog+night, rain+night, …) are the compound domains where
 * fusing several single-domain adapters should beat any one of them. Names of combinations join the
 * shift kinds with "+" in composition order, matching how domain-embeddings.ts keys shift sets.
 */
import { SemlaError } from "@semla/core";
import type { Shift } from "./shifts.js";

export interface WorldDomain {
  readonly name: string;
  readonly shifts: readonly Shift[];
}

const WARM: Shift = { kind: "colour-cast", strength: 0.8, tint: [1, 0.35, -0.7] };
const COOL: Shift = { kind: "colour-cast", strength: 0.8, tint: [-0.7, 0.05, 1] };

export const WORLD_DOMAINS: readonly WorldDomain[] = [
  { name: "clean", shifts: [] },
  { name: "fog", shifts: [{ kind: "fog", strength: 0.8 }] },
  { name: "night", shifts: [{ kind: "night", strength: 0.8 }] },
  { name: "rain", shifts: [{ kind: "rain", strength: 0.8 }] },
  { name: "snow", shifts: [{ kind: "snow", strength: 0.8 }] },
  { name: "overexposure", shifts: [{ kind: "overexposure", strength: 0.7 }] },
  { name: "warm-cast", shifts: [WARM] },
  { name: "cool-cast", shifts: [COOL] },
  { name: "blur", shifts: [{ kind: "blur", strength: 1 }] },
  { name: "noise", shifts: [{ kind: "noise", strength: 0.8 }] },
  { name: "low-contrast", shifts: [{ kind: "low-contrast", strength: 0.8 }] },
  {
    name: "fog+night",
    shifts: [
      { kind: "fog", strength: 0.7 },
      { kind: "night", strength: 0.7 },
    ],
  },
  {
    name: "rain+night",
    shifts: [
      { kind: "rain", strength: 0.7 },
      { kind: "night", strength: 0.7 },
    ],
  },
  {
    name: "fog+snow",
    shifts: [
      { kind: "fog", strength: 0.6 },
      { kind: "snow", strength: 0.7 },
    ],
  },
  {
    name: "night+noise",
    shifts: [
      { kind: "night", strength: 0.7 },
      { kind: "noise", strength: 0.6 },
    ],
  },
  {
    name: "blur+noise",
    shifts: [
      { kind: "blur", strength: 1 },
      { kind: "noise", strength: 0.6 },
    ],
  },
  {
    name: "rain+blur",
    shifts: [
      { kind: "rain", strength: 0.7 },
      { kind: "blur", strength: 0.5 },
    ],
  },
];

export const WORLD_DOMAIN_NAMES: readonly string[] = WORLD_DOMAINS.map((d) => d.name);

/** Looks a domain up by name; unknown names are a world.unknown-domain error listing the known ones. */
export function worldDomain(name: string): WorldDomain {
  const domain = WORLD_DOMAINS.find((d) => d.name === name);
  if (!domain) throw new SemlaError("world.unknown-domain", `unknown world domain "${name}"`, { domain: name, known: WORLD_DOMAIN_NAMES });
  return domain;
}
