#!/usr/bin/env node
// Runs the TypeScript entry through tsx, so the CLI works from a checkout without a build step. In
// this process (tsx's loader registered here), not a child: signals reach the CLI itself, so
// stopping `semla serve` by its pid stops the server and releases its data folder.
import { register } from "tsx/esm/api";

register();
await import(new URL("../src/main.ts", import.meta.url).href);
