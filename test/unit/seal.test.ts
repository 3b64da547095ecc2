import { describe, expect, it } from "vitest";
import { seal, unseal } from "../../src/crypto/seal";

/** src/crypto/seal.ts: authenticated encryption, one derived key per purpose and secret. */

const SECRET = "jwt-secret-for-seal-tests-0123456789";

describe("seal / unseal", () => {
  it("round-trips, and the sealed form is a compact JWE that does not show the plaintext", async () => {
    const sealed = await seal(SECRET, "provider-key", "sk-live-abcdef0123456789");
    expect(sealed.split(".")).toHaveLength(5);
    expect(sealed).not.toContain("sk-live");
    expect(await unseal(SECRET, "provider-key", sealed)).toBe("sk-live-abcdef0123456789");
  });

  it("seals the same plaintext differently each time (fresh IV)", async () => {
    expect(await seal(SECRET, "auth-bundle", "x")).not.toBe(await seal(SECRET, "auth-bundle", "x"));
  });

  it("refuses a value sealed for another purpose", async () => {
    const sealed = await seal(SECRET, "provider-key", "sk-1");
    await expect(unseal(SECRET, "auth-bundle", sealed)).rejects.toThrow();
  });

  it("refuses a value sealed under another secret", async () => {
    const sealed = await seal(SECRET, "auth-bundle", "{}");
    await expect(unseal(`${SECRET}-rotated`, "auth-bundle", sealed)).rejects.toThrow();
  });

  it.each([
    ["ciphertext", 3],
    ["authentication tag", 4],
    ["IV", 2],
    ["protected header", 0],
  ])("refuses a value whose %s was changed", async (_part, index) => {
    const parts = (await seal(SECRET, "auth-bundle", '{"a":1}')).split(".");
    const part = parts[index] ?? "";
    parts[index] = (part.startsWith("A") ? "B" : "A") + part.slice(1);
    await expect(unseal(SECRET, "auth-bundle", parts.join("."))).rejects.toThrow();
  });

  it("refuses what is not a JWE at all", async () => {
    await expect(unseal(SECRET, "auth-bundle", '{"plain":"json"}')).rejects.toThrow();
  });
});
