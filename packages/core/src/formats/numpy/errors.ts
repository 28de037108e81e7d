import { SemlaError } from "../../errors.js";

/** Every way a .npy file, a ZIP archive or an .npz archive can be wrong; each is its own error code. */
export type NumpyRule =
  // .npy
  | "magic"
  | "version"
  | "truncated"
  | "header-too-large"
  | "header-encoding"
  | "header-syntax"
  | "header-keys"
  | "descr"
  | "big-endian"
  | "fortran-order"
  | "shape"
  | "trailing-data"
  | "data-length"
  // ZIP container
  | "zip-eocd"
  | "zip-multi-disk"
  | "zip64-eocd"
  | "zip-central-directory"
  | "zip-extra-field"
  | "zip-name"
  | "zip-duplicate-member"
  | "zip-encrypted"
  | "zip-compression"
  | "zip-local-header"
  | "zip-member-range"
  | "zip-member-too-large"
  | "zip-inflate"
  | "zip-size"
  | "zip-crc"
  | "zip-member-missing"
  // .npz
  | "npz-missing-key";

/** Plain-words description of each rule, so messages read the same everywhere. */
const RULE_TEXT: Readonly<Record<NumpyRule, string>> = {
  magic: 'the data does not start with the .npy magic "\\x93NUMPY"',
  version: "only .npy format versions 1.0, 2.0 and 3.0 exist",
  truncated: "the file is shorter than its header says",
  "header-too-large": "the header is longer than the 10000-byte limit numpy itself enforces",
  "header-encoding": "the header is not valid text (latin-1 for versions 1.0/2.0, UTF-8 for 3.0)",
  "header-syntax": "the header is not a Python dict literal ending in a newline",
  "header-keys": "the header dict must have exactly the keys 'descr', 'fortran_order' and 'shape'",
  descr: "only little-endian float16, float32 and float64 ('<f2', '<f4', '<f8') are supported",
  "big-endian": "big-endian data is not supported; re-save it little-endian (e.g. arr.astype('<f4'))",
  "fortran-order": "'fortran_order' must be True or False",
  shape: "'shape' must be a tuple of non-negative integers",
  "trailing-data": "the file has bytes after the array data",
  "data-length": "the number of values differs from the shape's element count",
  "zip-eocd": "no ZIP end-of-central-directory record ends the data (not a ZIP archive, or truncated)",
  "zip-multi-disk": "multi-disk (spanned) ZIP archives are not supported",
  "zip64-eocd": "the ZIP64 end-of-central-directory locator or record is malformed",
  "zip-central-directory": "the ZIP central directory is malformed or not where the end record says",
  "zip-extra-field": "a ZIP extra field is malformed or lacks the ZIP64 values its header defers to it",
  "zip-name": "a member name is not valid UTF-8, or is non-ASCII without the UTF-8 flag",
  "zip-duplicate-member": "two ZIP members have the same name",
  "zip-encrypted": "encrypted ZIP members are not supported",
  "zip-compression": "only stored (0) and deflate (8) ZIP compression are supported",
  "zip-local-header": "the member's local header is malformed or disagrees with the central directory",
  "zip-member-range": "the member's data runs past the end of the archive",
  "zip-member-too-large": "the member's uncompressed size exceeds the reader's limit",
  "zip-inflate": "the member's deflate stream is corrupt",
  "zip-size": "the member's data has a different length than the central directory says",
  "zip-crc": "the member's CRC-32 does not match its data",
  "zip-member-missing": "the archive has no member with this name",
  "npz-missing-key": "the .npz archive has no array with this key",
};

export interface NumpyFormatErrorOptions {
  /** The archive member (or .npz key) the violation is about. */
  readonly member?: string;
  /** Extra specifics appended to the message, e.g. the offending value. */
  readonly reason?: string;
  /** Extra machine-readable fields merged into `details`. */
  readonly extra?: Record<string, unknown>;
}

/** A .npy/.npz/ZIP input that breaks a format rule: `code` is `numpy.<rule>`, `member` names the culprit. */
export class NumpyFormatError extends SemlaError {
  readonly rule: NumpyRule;
  readonly member: string | undefined;
  readonly reason: string | undefined;
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(rule: NumpyRule, options: NumpyFormatErrorOptions = {}) {
    const { member, reason, extra = {} } = options;
    const subject = member === undefined ? "numpy" : `numpy archive member ${JSON.stringify(member)}`;
    const message = `${subject}: ${RULE_TEXT[rule]}${reason === undefined ? "" : ` (${reason})`}`;
    super(`numpy.${rule}`, message, { rule, member, ...extra });
    this.rule = rule;
    this.member = member;
    this.reason = reason;
    this.extra = extra;
  }

  /** The same violation attributed to an archive member: a .npy parsed out of an .npz names its member. */
  inMember(member: string): NumpyFormatError {
    if (this.member !== undefined) return this;
    return new NumpyFormatError(this.rule, { member, reason: this.reason, extra: { ...this.extra } });
  }
}
