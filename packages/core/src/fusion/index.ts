export * from "./errors.js";
export * from "./fuse.js";
export * from "./options.js";
export { magnitudePrune, randomPrune } from "./prune.js";
export { type MajoritySign, mergeTaskTensors, type TaskMerge } from "./task-tensors.js";
