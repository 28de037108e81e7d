// The embedded data folder: its lock (one process's PGlite) and the running server's file.
export { type FolderLock, FolderLockError, isAlive, LOCK_FILE, type LockHolder, lockDataFolder, lockHolderOf } from "./folder-lock.js";
export * from "./server-file.js";
