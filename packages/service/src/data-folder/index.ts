// The embedded data folder: its lock (one process's PGlite) and the running server's file.
export { lockDataFolder, lockHolderOf, isAlive, FolderLockError, LOCK_FILE, type FolderLock, type LockHolder } from "./folder-lock.js";
export * from "./server-file.js";
