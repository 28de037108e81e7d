// Test support: the numpy readers' failures.
import { NumpyFormatError } from "../formats/numpy/errors.js";

/** The NumpyFormatError `action` throws or rejects with (any other outcome fails the test). */
export async function numpyFailure(action: () => unknown): Promise<NumpyFormatError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof NumpyFormatError) return error;
    throw error;
  }
  throw new Error("expected a NumpyFormatError");
}
