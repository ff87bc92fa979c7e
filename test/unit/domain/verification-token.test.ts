import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { normalizeEmailAddress } from '../../../src/domain/address.js';
import { ExpiredTokenError, InvalidTokenError } from '../../../src/domain/errors.js';
import { TOKEN_KINDS, VerificationTokens, type SigningKey, type TokenKeyring } from '../../../src/domain/verification-token.js';
import { controlToken, handSigned, hostileTokens, validHeader, validPayload, type TokenContext } from './hostile-tokens.js';

const encode = (text: string) => new TextEncoder().encode(text);
const K1: SigningKey = { kid: 'k1', secret: encode('first-signing-key-0123456789abcdef0123') };
const K2: SigningKey = { kid: 'k2', secret: encode('second-signing-key-0123456789abcdef012') };
const SETTINGS = { issuer: 'email-verification-service', audience: 'email-verification', ttlSeconds: 3600 };
const T = 1_800_000_000_000;
const address = normalizeEmailAddress('Jane@Example.com');

const keyring = (active: SigningKey, ...previous: SigningKey[]): TokenKeyring => ({ active, accepted: [active, ...previous] });
const sessions = (ring: TokenKeyring = keyring(K1)) => new VerificationTokens(ring, SETTINGS, 'session');

const context: TokenContext = {
  keyring: keyring(K1),
  issuer: SETTINGS.issuer,
  audience: SETTINGS.audience,
  now: T,
  address: address.address,
  key: address.key,
};

describe('VerificationTokens', () => {
  test('issues an HS256 JWT with kid, typ and every claim, and reads it back', async () => {
    const token = await sessions().issue(address, T + 999);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', kid: 'k1', typ: TOKEN_KINDS.session });
    const claims = decodeJwt(token);
    expect(claims).toEqual({
      email: 'Jane@example.com',
      sub: 'jane@example.com',
      iss: SETTINGS.issuer,
      aud: SETTINGS.audience,
      iat: T / 1000,
      exp: T / 1000 + 3600,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    await expect(sessions().read(token, T + 1000)).resolves.toEqual({
      address: 'Jane@example.com',
      key: 'jane@example.com',
      jti: claims.jti,
      expiresAt: T + 3_600_000,
    });
  });

  test('every token has its own jti', async () => {
    const [a, b] = await Promise.all([sessions().issue(address, T), sessions().issue(address, T)]);
    expect(decodeJwt(a!).jti).not.toBe(decodeJwt(b!).jti);
  });

  test('the hand-built control token is accepted (so each attack below fails for its one change)', async () => {
    await expect(sessions().read(controlToken(context), T)).resolves.toMatchObject({ key: address.key });
  });

  test('an email claim is read back normalised and must still match sub', async () => {
    const token = handSigned(validHeader(context), validPayload(context, { email: ' Jane@EXAMPLE.com ' }), K1.secret);
    await expect(sessions().read(token, T)).resolves.toMatchObject({ address: 'Jane@example.com', key: 'jane@example.com' });
  });

  describe('attack set', () => {
    let attacks: Awaited<ReturnType<typeof hostileTokens>>;
    beforeAll(async () => {
      attacks = await hostileTokens(context);
    });

    test('covers every kind of attack', () => {
      expect(attacks.length).toBeGreaterThan(40);
      expect(attacks.find((attack) => attack.name.startsWith('oversized'))!.token.length).toBeGreaterThan(4096);
    });

    test('each is InvalidTokenError, except an authentic expired token, which is ExpiredTokenError', async () => {
      const outcomes: Record<string, string> = {};
      const expected: Record<string, string> = {};
      for (const attack of attacks) {
        expected[attack.name] = attack.expect === 'expired' ? 'ExpiredTokenError' : 'InvalidTokenError';
        try {
          await sessions().read(attack.token, T);
          outcomes[attack.name] = 'accepted';
        } catch (error) {
          outcomes[attack.name] = (error as Error).name;
        }
      }
      expect(outcomes).toEqual(expected);
    });
  });

  test('the size limit: 4096 characters accepted, anything longer refused as oversized', async () => {
    const payload = validPayload(context);
    const sized = (pad: number) => handSigned(validHeader(context), { ...payload, pad: 'x'.repeat(pad) }, K1.secret);
    let pad = 0;
    while (sized(pad + 1).length <= 4096) pad += 1;
    const largest = sized(pad);
    const tooLarge = sized(pad + 1);
    expect(largest.length).toBeGreaterThan(4090);
    expect(largest.length).toBeLessThanOrEqual(4096);
    expect(tooLarge.length).toBeGreaterThan(4096);
    await expect(sessions().read(largest, T)).resolves.toMatchObject({ key: address.key });
    await expect(sessions().read(tooLarge, T)).rejects.toThrow(/oversized/);
  });

  test('expiry: valid up to exp, expired from exp on', async () => {
    const token = await sessions().issue(address, T);
    await expect(sessions().read(token, T + 3_599_999)).resolves.toMatchObject({ key: address.key });
    await expect(sessions().read(token, T + 3_600_000)).rejects.toBeInstanceOf(ExpiredTokenError);
    await expect(sessions().read(token, T + 86_400_000)).rejects.toBeInstanceOf(ExpiredTokenError);
  });

  test('session and link tokens never stand in for each other', async () => {
    const links = new VerificationTokens(keyring(K1), SETTINGS, 'link');
    const link = await links.issue(address, T);
    const session = await sessions().issue(address, T);
    expect(decodeProtectedHeader(link).typ).toBe(TOKEN_KINDS.link);
    await expect(sessions().read(link, T)).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(links.read(session, T)).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(links.read(link, T)).resolves.toMatchObject({ key: address.key });
  });

  test('another issuer or audience configuration does not accept our tokens', async () => {
    const token = await sessions().issue(address, T);
    await expect(new VerificationTokens(keyring(K1), { ...SETTINGS, issuer: 'x' }, 'session').read(token, T)).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(new VerificationTokens(keyring(K1), { ...SETTINGS, audience: 'x' }, 'session').read(token, T)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  describe('key rotation', () => {
    test('a token signed with the previous key is accepted while that key is listed', async () => {
      const old = await sessions(keyring(K1)).issue(address, T);
      const rotated = sessions(keyring(K2, K1));
      await expect(rotated.read(old, T)).resolves.toMatchObject({ key: address.key });
      // New tokens are signed with the new key.
      const fresh = await rotated.issue(address, T);
      expect(decodeProtectedHeader(fresh).kid).toBe('k2');
      await expect(rotated.read(fresh, T)).resolves.toMatchObject({ key: address.key });
      await expect(sessions(keyring(K1)).read(fresh, T)).rejects.toBeInstanceOf(InvalidTokenError);
    });

    test('a token of a removed key is rejected, even when expired', async () => {
      const old = await sessions(keyring(K1)).issue(address, T);
      await expect(sessions(keyring(K2)).read(old, T)).rejects.toBeInstanceOf(InvalidTokenError);
      await expect(sessions(keyring(K2)).read(old, T + 7_200_000)).rejects.toBeInstanceOf(InvalidTokenError);
    });

    test("a kid paired with another listed key's secret is rejected", async () => {
      const forged = await new SignJWT({ email: address.address })
        .setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: TOKEN_KINDS.session })
        .setSubject(address.key)
        .setIssuer(SETTINGS.issuer)
        .setAudience(SETTINGS.audience)
        .setIssuedAt(T / 1000)
        .setExpirationTime(T / 1000 + 60)
        .setJti('j')
        .sign(K2.secret);
      await expect(sessions(keyring(K2, K1)).read(forged, T)).rejects.toBeInstanceOf(InvalidTokenError);
    });
  });

  test('a zero-length active key cannot sign (the create-token stage fails)', async () => {
    const broken = sessions({ active: { kid: 'empty', secret: new Uint8Array(0) }, accepted: [K1] });
    await expect(broken.issue(address, T)).rejects.toThrow();
  });
});
