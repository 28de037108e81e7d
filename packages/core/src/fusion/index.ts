export * from "./errors.js";
export * from "./options.js";
export * from "./fuse.js";
export { magnitudePrune, randomPrune } from "./prune.js";
export { mergeTaskTensors, type TaskMerge, type MajoritySign } from "./task-tensors.js";
