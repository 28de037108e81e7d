import { issueOf, LIMITS, text } from "@semla/core";
import { z } from "zod";
import { SegmentationError } from "./errors.js";

/**
 * The class list of a segmentation, one set of rules for the API, the transport and the endpoint (and
 * the segmenter itself): 1 to LIMITS.classes names (the mask is 8-bit), each non-blank and at most
 * LIMITS.className characters, none given twice (ignoring surrounding whitespace: both would get
 * the same text embedding and the second could never win a pixel).
 */
export function classNamesProblem(names: readonly string[]): SegmentationError | undefined {
  if (names.length === 0) return new SegmentationError("no-classes", "at least one class name is needed to segment");
  if (names.length > LIMITS.classes) {
    return new SegmentationError("too-many-classes", `${names.length} classes given; the 8-bit mask holds at most ${LIMITS.classes}`, { classes: names.length, max: LIMITS.classes });
  }
  const seen = new Map<string, number>();
  for (const [index, name] of names.entries()) {
    const trimmed = name.trim();
    if (trimmed.length === 0) return new SegmentationError("invalid-class-name", `class name ${index} is blank`, { index });
    if (name.length > LIMITS.className) {
      return new SegmentationError("class-name-too-long", `class name ${index} has ${name.length} characters, over the limit of ${LIMITS.className}`, {
        index,
        length: name.length,
        max: LIMITS.className,
      });
    }
    const first = seen.get(trimmed);
    if (first !== undefined) {
      return new SegmentationError("duplicate-class-name", `class name ${JSON.stringify(trimmed)} is given twice (at ${first} and ${index})`, { name: trimmed, indices: [first, index] });
    }
    seen.set(trimmed, index);
  }
  return undefined;
}

/** Throws the SegmentationError naming what is wrong with `names`, if anything. */
export function checkClassNames(names: readonly string[]): void {
  const problem = classNamesProblem(names);
  if (problem) throw problem;
}

/**
 * The class list as a zod schema: a refused list is an issue carrying its SegmentationError
 * (segment.no-classes, too-many-classes, invalid-class-name, class-name-too-long, duplicate-class-name),
 * which the API and the transport answer with (see core's errorOfIssues).
 */
export const ClassNamesSchema = z
  .array(text())
  .superRefine((names, ctx) => {
    const problem = classNamesProblem(names);
    if (problem) ctx.addIssue(issueOf(problem));
  })
  .describe(`1 to ${LIMITS.classes} distinct, non-blank class names of at most ${LIMITS.className} characters`);
