import type { CoverageExperimentResult, CoverageSide } from "./experiment.js";

const percent = (v: number | null | undefined) => (typeof v === "number" ? (100 * v).toFixed(1) : "–");
const share = (s: CoverageSide) => `${s.flagged}/${s.images} (${(100 * s.flaggedRate).toFixed(0)}%)`;

/**
 * The out-of-library table in Markdown: per held-out group, the share of its images flagged and
 * their mIoU (%) under forced fusion, the zeroshot policy and the base model; then the in-library
 * domains' false positives and what the zeroshot policy costs them.
 */
export function coverageMarkdownTable(result: CoverageExperimentResult): string {
  return [
    "| held out | adapters left | held-out images flagged | fuse | zeroshot policy | base model | in-library images flagged | in-library fuse | in-library zeroshot policy |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...result.groups.map((g) => {
      const h = g.heldOutSide;
      const i = g.inLibrary;
      return `| ${g.group} (${g.heldOut.join(", ")}) | ${g.library.adapters} | ${share(h)} | ${percent(h.miou.fuse)} | ${percent(h.miou.fallback)} | ${percent(h.miou.zeroshot)} | ${share(i)} | ${percent(i.miou.fuse)} | ${percent(i.miou.fallback)} |`;
    }),
  ].join("\n");
}

/** Per group, the flagged images only (pooled mIoU, %): what fusion would have given them, and the base model they got. */
export function flaggedLine(result: CoverageExperimentResult): string {
  return result.groups
    .map((g) => {
      const parts = [
        g.heldOutSide.flaggedMiou && `${g.heldOutSide.flagged} flagged held-out images: fuse ${percent(g.heldOutSide.flaggedMiou.fuse)}, base model ${percent(g.heldOutSide.flaggedMiou.zeroshot)}`,
        g.inLibrary.flaggedMiou && `${g.inLibrary.flagged} flagged in-library images: fuse ${percent(g.inLibrary.flaggedMiou.fuse)}, base model ${percent(g.inLibrary.flaggedMiou.zeroshot)}`,
      ].filter((p): p is string => typeof p === "string");
      return `${g.group}: ${parts.length > 0 ? parts.join("; ") : "nothing flagged"}`;
    })
    .join(". ");
}

/** The README's block: the table, what its columns are, and the flagged images' own mIoU. */
export function coverageMarkdown(result: CoverageExperimentResult, meta: Readonly<Record<string, string | number>> = {}): string {
  const calibrations = result.groups.map((g) => `${g.group}: ${g.library.calibration?.basis ?? "not computed"}`).join(", ");
  return [
    coverageMarkdownTable(result),
    "",
    "mIoU (%), mean over the domains of each side. Per group, a library built without the held-out adapters; SemLA with its defaults (top-k 5, temperature 0.05, the library's metric, cat) under policy fuse (the k nearest, however far) and policy zeroshot (the base model for images flagged out-of-library), and the base model alone. In-library images are every other domain's, whose own adapter is in the library.",
    "",
    `Flagged images only (pooled mIoU, %): ${flaggedLine(result)}.`,
    "",
    `calibration basis: ${calibrations}`,
    ...Object.entries(meta).map(([k, v]) => `${k}: ${v}`),
  ].join("\n");
}
