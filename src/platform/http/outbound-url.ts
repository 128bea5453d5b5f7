/**
 * The guard for every URL a tenant gives us to call (an Evolution server, a webhook endpoint):
 * only http(s), and never loopback, private, link-local, carrier-grade NAT or cloud-metadata
 * addresses unless ALLOW_PRIVATE_TARGETS is set (dev and tests). Host names are checked as
 * written here; `guardedFetch` also checks what a name resolves to where the runtime can resolve
 * (Deno). On Workers it cannot, and Cloudflare's egress does not reach private networks anyway.
 */
export function outboundUrlProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a valid URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "only http and https URLs";
  if (url.username || url.password) return "credentials in the URL are not allowed";
  if (allowPrivate) return null;
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (
    host === "localhost" || host.endsWith(".localhost") || host.endsWith(".local") ||
    host.endsWith(".internal")
  ) {
    return "private host names are not allowed";
  }
  if (host === "metadata.google.internal" || host === "169.254.169.254" || host === "fd00:ec2::254") {
    return "cloud metadata addresses are not allowed";
  }
  return addressProblem(host);
}

/** Why an IP address (v4 or v6, as text) may not be called, or null for a public one. */
export function addressProblem(host: string): string | null {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    const privateV4 = a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) ||
      (a === 198 && (b === 18 || b === 19)) || a >= 224;
    return privateV4 ? "private, loopback and reserved addresses are not allowed" : null;
  }
  if (host.includes(":")) {
    const privateV6 = host === "::" || host === "::1" || /^f[cd]/.test(host) || /^fe[89ab]/.test(host) ||
      /^::ffff:/.test(host);
    return privateV6 ? "private, loopback and reserved addresses are not allowed" : null;
  }
  return null;
}
