import { describe, expect, it } from "vitest";
import { displayPrefix, generateSecret, hashSecret, KEY_PATTERN, timingSafeEqual } from "../../src/auth/keys";

/** Contract §1: the secret's format, how it is generated, shown and stored. */

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const BODY = (secret: string) => secret.slice(secret.lastIndexOf("_") + 1);

describe("KEY_PATTERN", () => {
  const body = "01HZX3A9BCDEFGHJKMNPQRSTVW";

  it("accepts live and test secrets of 37 characters", () => {
    expect(`lw_vk_live_${body}`).toHaveLength(37);
    expect(KEY_PATTERN.test(`lw_vk_live_${body}`)).toBe(true);
    expect(KEY_PATTERN.test(`lw_vk_test_${body}`)).toBe(true);
  });

  it.each([
    ["another environment", `lw_vk_prod_${body}`],
    ["25 characters", `lw_vk_live_${body.slice(1)}`],
    ["27 characters", `lw_vk_live_${body}X`],
    ["lower case", `lw_vk_live_${body.toLowerCase()}`],
    ["the letter I", `lw_vk_live_I${body.slice(1)}`],
    ["the letter L", `lw_vk_live_L${body.slice(1)}`],
    ["the letter O", `lw_vk_live_O${body.slice(1)}`],
    ["the letter U", `lw_vk_live_U${body.slice(1)}`],
    ["another product's prefix", `sk-live_${body}`],
    ["a trailing newline", `lw_vk_live_${body}\n`],
  ])("rejects %s", (_, value) => {
    expect(KEY_PATTERN.test(value)).toBe(false);
  });
});

describe("generateSecret", () => {
  it("makes a 37-character secret for the environment asked for", () => {
    const live = generateSecret("live");
    const test = generateSecret("test");
    expect(live).toMatch(/^lw_vk_live_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(test).toMatch(/^lw_vk_test_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(live).toHaveLength(37);
    expect(KEY_PATTERN.test(live) && KEY_PATTERN.test(test)).toBe(true);
  });

  it("never repeats itself", () => {
    const secrets = new Set(Array.from({ length: 2000 }, () => generateSecret("live")));
    expect(secrets.size).toBe(2000);
  });

  it("uses the whole Crockford alphabet in the first and the last position (no dead bits)", () => {
    // 1500 draws per position: the chance that a fair 32-symbol position misses a symbol is ~1e-19.
    const first = new Set<string>();
    const last = new Set<string>();
    for (let i = 0; i < 1500; i++) {
      const body = BODY(generateSecret("test"));
      first.add(body[0] as string);
      last.add(body[25] as string);
    }
    expect([...first].sort().join("")).toBe(ALPHABET);
    expect([...last].sort().join("")).toBe(ALPHABET);
  });
});

describe("displayPrefix", () => {
  it("is the first 16 characters", () => {
    expect(displayPrefix("lw_vk_live_01HZX3A9BCDEFGHJKMNPQRSTVW")).toBe("lw_vk_live_01HZX");
    expect(displayPrefix(generateSecret("test"))).toHaveLength(16);
  });
});

describe("hashSecret", () => {
  async function independentHmacHex(key: string, message: string): Promise<string> {
    const k = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(key),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const sig = new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(message)));
    return Array.from(sig, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  it("matches RFC 4231 test case 2 (HMAC-SHA256, key 'Jefe')", async () => {
    expect(await hashSecret("Jefe", "what do ya want for nothing?")).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });

  it("is hex(HMAC-SHA256(pepper, secret))", async () => {
    const pepper = "a-pepper-0123456789abcdef";
    const secret = generateSecret("live");
    const hash = await hashSecret(pepper, secret);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(await independentHmacHex(pepper, secret));
  });

  it("depends on the pepper and the secret, and on nothing else", async () => {
    const secret = generateSecret("live");
    const a = await hashSecret("pepper-one-0123456789", secret);
    expect(await hashSecret("pepper-one-0123456789", secret)).toBe(a);
    expect(await hashSecret("pepper-two-0123456789", secret)).not.toBe(a);
    expect(await hashSecret("pepper-one-0123456789", generateSecret("live"))).not.toBe(a);
  });
});

describe("timingSafeEqual", () => {
  it.each([
    ["abc", "abc", true],
    ["", "", true],
    ["abc", "abd", false],
    ["abc", "abcd", false],
    ["abcd", "abc", false],
    ["", "a", false],
    ["é", "e", false],
  ])("%j vs %j → %s", (a, b, equal) => {
    expect(timingSafeEqual(a, b)).toBe(equal);
  });

  it("compares 64-character hashes", async () => {
    const h = await hashSecret("p-0123456789abcdef", "s");
    expect(timingSafeEqual(h, h.slice())).toBe(true);
    expect(timingSafeEqual(h, `${h.slice(0, 63)}${h[63] === "0" ? "1" : "0"}`)).toBe(false);
  });
});
