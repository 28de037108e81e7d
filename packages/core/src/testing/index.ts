// Test support, exported as @semla/core/testing (never imported by production code).
export { expectedDelta, maxAbsDifference, moduleNamed, SMALL_MODULES, smallAdapter } from "./fusion.js";
export { numpyFailure } from "./numpy.js";
export { LIBRARY, ORIGIN, routingErrorFrom } from "./routing.js";
export { buildZip, type FixtureMember, zip64Extra } from "./zip.js";
