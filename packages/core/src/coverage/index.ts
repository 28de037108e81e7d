/** Out-of-library detection: a library's calibration from what it holds, and a query's coverage. */

export { assessCoverage, type Coverage, CoverageSchema, type CoverageStatus, CoverageStatusSchema, type MeasuredAdapter } from "./assess.js";
export {
  type CalibrationAdapter,
  CalibrationBasisSchema,
  COVERAGE_DEFAULTS,
  type CoveragePolicy,
  CoveragePolicySchema,
  calibrate,
  type LibraryCalibration,
  LibraryCalibrationSchema,
  leaveOneOutNearest,
  quantile,
  radiusOf,
  sampleSpread,
} from "./calibration.js";
