import { type Client, createClient } from "@semla/client";

/** The API key lives in this tab's sessionStorage only: never in the URL, never in localStorage or a cookie. */
const KEY = "semla.apiKey";

export const storedKey = (): string | null => sessionStorage.getItem(KEY);
export const storeKey = (key: string): void => sessionStorage.setItem(KEY, key);
export const forgetKey = (): void => sessionStorage.removeItem(KEY);

/** The typed client of the API that serves the console (same origin). */
export function apiClient(key: string): Client {
  return createClient(location.origin, key);
}
