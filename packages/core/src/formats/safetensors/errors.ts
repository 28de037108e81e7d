import { SemlaError } from "../../errors.js";

/** Every way a safetensors file (or a request against one) can be wrong; each is its own error code. */
export type SafetensorsRule =
  | "truncated"
  | "header-too-large"
  | "header-utf8"
  | "header-start"
  | "header-json"
  | "metadata"
  | "duplicate-name"
  | "reserved-name"
  | "tensor-entry"
  | "dtype"
  | "overflow"
  | "byte-length"
  | "offsets-gap"
  | "offsets-overlap"
  | "trailing-data"
  | "missing-tensor"
  | "dtype-unsupported"
  | "non-finite"
  | "shape-mismatch";

/** Plain-words description of each rule, so messages read the same everywhere. */
const RULE_TEXT: Readonly<Record<SafetensorsRule, string>> = {
  truncated: "the file is shorter than its header says",
  "header-too-large": "the declared header length exceeds the 100,000,000-byte limit",
  "header-utf8": "the header is not valid UTF-8",
  "header-start": "the header does not start with '{'",
  "header-json": "the header is not a JSON object",
  metadata: "__metadata__ must be an object mapping strings to strings",
  "duplicate-name": "the tensor name appears more than once",
  "reserved-name": "the tensor name __metadata__ is reserved",
  "tensor-entry": "the tensor entry must have exactly dtype (string), shape (non-negative integers) and data_offsets ([begin, end] with begin <= end)",
  dtype: "the dtype is not a safetensors dtype",
  overflow: "the tensor's byte size exceeds the largest safe integer",
  "byte-length": "data_offsets span a different number of bytes than shape and dtype require",
  "offsets-gap": "the tensor's data does not start where the previous tensor's data ends (gap)",
  "offsets-overlap": "the tensor's data overlaps the previous tensor's data",
  "trailing-data": "the data buffer has bytes after the last tensor",
  "missing-tensor": "no tensor has this name",
  "dtype-unsupported": "only F32, F16, BF16 and F64 tensors can be read as Float32",
  "non-finite": "the tensor holds a NaN or infinite value",
  "shape-mismatch": "the shape's element count differs from the data length",
};

export interface SafetensorsErrorOptions {
  /** The tensor (or duplicate key) the violation is about. */
  readonly tensor?: string;
  /** Extra specifics appended to the message, e.g. the offending value. */
  readonly reason?: string;
  /** Extra machine-readable fields merged into `details`. */
  readonly extra?: Record<string, unknown>;
}

/** A safetensors file that breaks a format rule: `code` is `safetensors.<rule>`, `tensor` names the culprit. */
export class SafetensorsError extends SemlaError {
  readonly rule: SafetensorsRule;
  readonly tensor: string | undefined;

  constructor(rule: SafetensorsRule, options: SafetensorsErrorOptions = {}) {
    const { tensor, reason, extra } = options;
    const subject = tensor === undefined ? "safetensors" : `safetensors tensor ${JSON.stringify(tensor)}`;
    const message = `${subject}: ${RULE_TEXT[rule]}${reason === undefined ? "" : ` (${reason})`}`;
    super(`safetensors.${rule}`, message, { rule, tensor, ...extra });
    this.rule = rule;
    this.tensor = tensor;
  }
}
