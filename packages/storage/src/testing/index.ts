// Test support, exported as @semla/storage/testing (never imported by production code).
export { blobStoreContract } from "./blob-store-contract.js";
