import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * Where a webhook may be sent: never to this service's own network (server-side request forgery):
 * a URL whose host is, or resolves to, a loopback, private, link-local (the cloud metadata service at
 * 169.254.169.254), carrier-grade NAT, unspecified, multicast or reserved address is refused, unless
 * the operator allows private targets (SEMLA_JOBS_WEBHOOK_ALLOW_PRIVATE, for a receiver inside the
 * network or a test's loopback one). Every address the name resolves to is checked.
 */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 3],
] as const)
  PRIVATE.addSubnet(network, prefix, "ipv4");
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const)
  PRIVATE.addSubnet(network, prefix, "ipv6");

/** Whether `address` (an IPv4 or IPv6 literal) is one a webhook may not reach; IPv4-mapped IPv6 is checked as IPv4. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1] as string, "ipv4");
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 4 ? "ipv4" : "ipv6");
}

export type Lookup = (hostname: string) => Promise<readonly string[]>;

const systemLookup: Lookup = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })).map((found) => found.address);

/**
 * Why a webhook may not be sent to `url` (a sentence naming the host and the address), or undefined
 * when it may. A name that does not resolve is refused too.
 */
export async function webhookTargetProblem(url: string, options: { readonly allowPrivate: boolean; readonly lookup?: Lookup }): Promise<string | undefined> {
  if (options.allowPrivate) return undefined;
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: readonly string[];
  try {
    addresses = isIP(host) ? [host] : await (options.lookup ?? systemLookup)(host);
  } catch (error) {
    return `the webhook's host ${host} does not resolve (${(error as Error).message})`;
  }
  const blocked = addresses.find(isPrivateAddress);
  if (blocked !== undefined || addresses.length === 0) {
    return `the webhook's host ${host} is ${blocked === undefined ? "unresolved" : `${blocked}`}, a private, loopback or link-local address: webhooks go to public addresses (an operator allows private ones with SEMLA_JOBS_WEBHOOK_ALLOW_PRIVATE=true)`;
  }
  return undefined;
}
