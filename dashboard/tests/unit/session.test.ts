import { describe, expect, it } from 'vitest';
import { sessionFromToken, tokenRefused } from '../../src/api/session';

function token(claims: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.signature`;
}

const NOW = Date.UTC(2025, 4, 1);
const exp = NOW / 1000 + 3600;

describe('sessionFromToken', () => {
  it('reads the projects, subject and expiry a token carries', () => {
    const session = sessionFromToken(`  ${token({ sub: 'ann@example.com', projects: [3, 1], exp })}\n`, NOW);
    expect(session).toEqual({
      token: token({ sub: 'ann@example.com', projects: [3, 1], exp }),
      projects: [1, 3],
      subject: 'ann@example.com',
      expiresAt: exp * 1000,
      owner: false,
    });
  });

  it('lets an owner without projects in, to create the first one', () => {
    const session = sessionFromToken(token({ sub: 'o@example.com', projects: [], exp, owner: true }), NOW);
    expect(session.owner).toBe(true);
    expect(session.projects).toEqual([]);
  });

  it('reads non-ASCII subjects', () => {
    expect(sessionFromToken(token({ sub: 'zoë@example.com', projects: [1], exp }), NOW).subject).toBe('zoë@example.com');
  });

  it('refuses what cannot be a usable token, saying why', () => {
    expect(() => sessionFromToken('not a token', NOW)).toThrow('three parts');
    expect(() => sessionFromToken('a.b.c', NOW)).toThrow('cannot be read');
    expect(() => sessionFromToken(token({ projects: [1], exp: NOW / 1000 - 1 }), NOW)).toThrow('expired');
    expect(() => sessionFromToken(token({ projects: [], exp }), NOW)).toThrow('grants no projects');
    expect(() => sessionFromToken(token({ projects: ['1'], exp }), NOW)).toThrow('names no projects');
    expect(() => sessionFromToken(token({ projects: [1] }), NOW)).toThrow('no expiry');
  });
});

describe('tokenRefused', () => {
  it('signs out for a bad, missing or revoked token', () => {
    for (const message of ['invalid_token', 'missing_token', 'token_revoked']) expect(tokenRefused(message)).toBe(true);
  });

  it('retries when the realtime server only could not check the token', () => {
    for (const message of ['unavailable', 'websocket error', '']) expect(tokenRefused(message)).toBe(false);
  });
});
