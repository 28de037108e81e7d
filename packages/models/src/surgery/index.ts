export { type PreparedBankGraph, prepareBankSegmenter } from "./bank.js";
export { readModelGraph } from "./graph.js";
export { type FoundLayers, findLayers, type LinearSite, scopeModule, type UnadaptableSite } from "./linears.js";
export { type PreparedGraph, type PreparedModule, PrepareError, type PrepareRule, type PrepareTargets, prepareSegmenter, prepareTargets } from "./prepare.js";
export { type BankModule, bankBytes, type LoraBank, stackLoraBank } from "./stack-bank.js";
export { concat as joinParts, type Parts } from "./wire.js";
export { LORA_MAPPING_FILE, PREPARED_SEGMENTER_FILE, type PreparedPack, type PreparePackOptions, preparePack, readMapping, targetsFromArgument } from "./write-prepared.js";
