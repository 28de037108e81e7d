import { describe, expect, it } from "vitest";
import { isPrivateAddress, webhookTargetProblem } from "./webhook-target.js";

/** A resolver that answers from a table (no network in unit tests). */
const table =
  (names: Record<string, readonly string[]>) =>
  async (hostname: string): Promise<readonly string[]> => {
    const found = names[hostname];
    if (!found) throw new Error(`getaddrinfo ENOTFOUND ${hostname}`);
    return found;
  };

describe("webhook targets (no server-side request forgery)", () => {
  it("classes loopback, private, link-local, CGNAT, unspecified, multicast and IPv4-mapped addresses as private, public ones not", () => {
    for (const address of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "::1",
      "::",
      "fd00::1",
      "fe80::1",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
    ]) {
      expect([address, isPrivateAddress(address)]).toEqual([address, true]);
    }
    for (const address of ["93.184.215.14", "172.32.0.1", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]) {
      expect([address, isPrivateAddress(address)]).toEqual([address, false]);
    }
  });

  it("refuses a URL whose literal host or any resolved address is private, and a name that does not resolve", async () => {
    const lookup = table({ "hooks.example.com": ["93.184.215.14"], "rebind.example.com": ["93.184.215.14", "10.0.0.5"], "metadata.example.com": ["169.254.169.254"] });
    const check = (url: string) => webhookTargetProblem(url, { allowPrivate: false, lookup });
    expect(await check("https://hooks.example.com/semla")).toBeUndefined();
    expect(await check("http://127.0.0.1:8080/hook")).toBe(
      "the webhook's host 127.0.0.1 is 127.0.0.1, a private, loopback or link-local address: webhooks go to public addresses (an operator allows private ones with SEMLA_JOBS_WEBHOOK_ALLOW_PRIVATE=true)",
    );
    expect(await check("http://[::1]/hook")).toMatch(/^the webhook's host ::1 is ::1, a private/);
    expect(await check("https://rebind.example.com/hook")).toMatch(/^the webhook's host rebind\.example\.com is 10\.0\.0\.5, a private/);
    expect(await check("https://metadata.example.com/latest")).toMatch(/^the webhook's host metadata\.example\.com is 169\.254\.169\.254, a private/);
    expect(await check("https://nowhere.example.com/hook")).toBe("the webhook's host nowhere.example.com does not resolve (getaddrinfo ENOTFOUND nowhere.example.com)");
  });

  it("allows every target when the operator allows private ones, without resolving", async () => {
    const lookup = async (): Promise<readonly string[]> => {
      throw new Error("resolved");
    };
    expect(await webhookTargetProblem("http://127.0.0.1:9/hook", { allowPrivate: true, lookup })).toBeUndefined();
    expect(await webhookTargetProblem("https://nowhere.example.com/hook", { allowPrivate: true, lookup })).toBeUndefined();
  });
});
