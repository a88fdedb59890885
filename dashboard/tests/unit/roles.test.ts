import { describe, expect, it } from 'vitest';
import { roleIn } from '../../src/api/roles';

function token(claims: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.signature`;
}

describe('roleIn', () => {
  it("reads the token's role per project, a project the roles leave out being a viewer's", () => {
    const t = token({ sub: 'ann', projects: [1, 2, 3], roles: { '1': 'admin', '2': 'viewer' }, exp: 9e9 });
    expect(roleIn(t, 1)).toBe('admin');
    expect(roleIn(t, 2)).toBe('viewer');
    expect(roleIn(t, 3)).toBe('viewer');
  });

  it('grants nothing for a project the token does not name, even if its roles do', () => {
    expect(roleIn(token({ projects: [1], roles: { '4': 'admin' } }), 4)).toBeNull();
  });

  it('reads a token minted before roles existed as a viewer, and garbage as no grant', () => {
    expect(roleIn(token({ projects: [5] }), 5)).toBe('viewer');
    expect(roleIn(token({ projects: [5], roles: { '5': 'owner' } }), 5)).toBe('viewer');
    expect(roleIn('not.a-token.at-all', 5)).toBeNull();
    expect(roleIn('', 5)).toBeNull();
  });
});
