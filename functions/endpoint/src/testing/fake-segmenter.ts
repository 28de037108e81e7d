// Test helper: a segmenter that answers from the request alone, or fails as told.
import type { SegmentationInput, SegmentationOutput, Segmenter } from "@semla/inference";

/** A 1x1 greyscale PNG. */
export const ONE_PIXEL_PNG = new Uint8Array(Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABc3UWCgAAAABJRU5ErkJggg==", "base64"));

export interface FakeSegmenter extends Segmenter {
  readonly inputs: SegmentationInput[];
  /** Thrown by the next segment() call. */
  failWith: unknown;
}

export function fakeSegmenter(): FakeSegmenter {
  const fake: FakeSegmenter = {
    inputs: [],
    failWith: undefined,
    async segment(input: SegmentationInput): Promise<SegmentationOutput> {
      fake.inputs.push(input);
      const failure = fake.failWith;
      if (failure !== undefined) {
        fake.failWith = undefined;
        throw failure;
      }
      return {
        maskPng: ONE_PIXEL_PNG,
        width: 1,
        height: 1,
        scores: input.classNames.map((className, i) => ({ className, pixelFraction: i === 0 ? 1 : 0, meanProbability: 1 / input.classNames.length })),
        timings: { fakeMs: 1 },
      };
    },
    async close() {},
  };
  return fake;
}
