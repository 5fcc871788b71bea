import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { can, canAssignRole, permissions, rolePermissions } from '../../../functions/domain/permissions.js';
import { orgRoles } from '../../../functions/domain/roles.js';

describe('permission matrix', () => {
  test('docs/permissions.md states exactly the matrix the code enforces', () => {
    const md = readFileSync(new URL('../../../docs/permissions.md', import.meta.url), 'utf8');
    const header = md.split('\n').find((l) => l.startsWith('| Permission'))!;
    const roles = header
      .split('|')
      .slice(2, -1)
      .map((s) => s.trim());
    expect(roles).toEqual([...orgRoles]);
    const rows = md.split('\n').filter((l) => /^\| [a-z]+:[a-z]+ +\|/.test(l));
    const documented = rows.map((l) => l.split('|')[1].trim());
    expect(documented.sort()).toEqual([...permissions].sort());
    for (const row of rows) {
      const cells = row
        .split('|')
        .slice(1, -1)
        .map((s) => s.trim());
      const perm = cells[0] as (typeof permissions)[number];
      roles.forEach((role, i) => {
        expect(cells[i + 1] === '✓', `${role} / ${perm}`).toBe(can(role as never, perm));
      });
    }
  });

  test('roles are ordered by power: each role can do at most what the one above it can (approver aside)', () => {
    const chain = ['owner', 'admin', 'brand_manager', 'creator', 'viewer'] as const;
    for (let i = 1; i < chain.length; i++) {
      for (const p of rolePermissions[chain[i]]) expect(can(chain[i - 1], p), `${chain[i - 1]} ${p}`).toBe(true);
    }
    for (const p of rolePermissions.viewer) expect(can('approver', p)).toBe(true);
    expect(can('viewer', 'requests:create')).toBe(false);
    expect(can('approver', 'approvals:decide')).toBe(true);
    expect(can('creator', 'approvals:decide')).toBe(false);
  });

  test('only owners touch the owner role', () => {
    expect(canAssignRole('owner', 'viewer', 'owner')).toBe(true);
    expect(canAssignRole('owner', 'owner', 'admin')).toBe(true);
    expect(canAssignRole('admin', 'viewer', 'creator')).toBe(true);
    expect(canAssignRole('admin', undefined, 'owner')).toBe(false);
    expect(canAssignRole('admin', 'owner', 'viewer')).toBe(false);
    expect(canAssignRole('admin', 'owner', undefined)).toBe(false);
    expect(canAssignRole('brand_manager', 'viewer', 'creator')).toBe(false);
  });
});
