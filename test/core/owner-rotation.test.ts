import { describe, expect, it } from 'vitest';
import { assignOwner } from '../../src/core/assign-owner.ts';
import { pickWeighted } from '../../src/core/owner-rotation.ts';
import type { AssignmentState } from '../../src/core/types.ts';
import { contact, makeConfig, NOW_MS } from '../helpers/fixtures.ts';

function rotate(members: { key: string; weight: number }[], n: number): string[] {
  let credits: Record<string, number> = {};
  const picks: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = pickWeighted(members, credits)!;
    picks.push(p.key);
    credits = p.credits;
  }
  return picks;
}

const count = (picks: string[]) => picks.reduce<Record<string, number>>((m, k) => ({ ...m, [k]: (m[k] ?? 0) + 1 }), {});

describe('pickWeighted (smooth weighted round robin)', () => {
  it.each([
    [
      'equal weights alternate',
      [
        { key: 'a', weight: 1 },
        { key: 'b', weight: 1 },
      ],
      4,
      ['a', 'b', 'a', 'b'],
    ],
    [
      '2:1 is spread, not bursty',
      [
        { key: 'a', weight: 2 },
        { key: 'b', weight: 1 },
      ],
      6,
      ['a', 'b', 'a', 'a', 'b', 'a'],
    ],
    [
      '5:1:1 interleaves',
      [
        { key: 'a', weight: 5 },
        { key: 'b', weight: 1 },
        { key: 'c', weight: 1 },
      ],
      7,
      ['a', 'a', 'b', 'a', 'c', 'a', 'a'],
    ],
  ])('%s', (_, members, n, expected) => {
    expect(rotate(members, n)).toEqual(expected);
  });

  it('is exactly fair over every full cycle of the weights', () => {
    const members = [
      { key: 'a', weight: 3 },
      { key: 'b', weight: 2 },
      { key: 'c', weight: 1 },
    ];
    expect(count(rotate(members, 600))).toEqual({ a: 300, b: 200, c: 100 });
  });

  it('returns null for an empty pool', () => {
    expect(pickWeighted([], {})).toBeNull();
  });
});

describe('assignOwner', () => {
  const assignment = makeConfig({
    assignment: {
      owners: [
        { key: 'us-1', hubspotOwnerId: '11', salesforceUserId: '005A', weight: 2 },
        { key: 'us-2', hubspotOwnerId: '12', weight: 1 },
        { key: 'eu-1', hubspotOwnerId: '21', salesforceUserId: '005E' },
        { key: 'off', hubspotOwnerId: '99', active: false },
      ],
      pools: [
        { id: 'emea', when: { field: 'country', when: { in: ['germany', 'france'] } }, owners: ['eu-1'] },
        { id: 'rest', owners: ['us-1', 'us-2', 'off'] },
      ],
    },
  }).assignment;

  it('keeps an active existing owner', () => {
    const r = assignOwner(contact({ ownerId: '12' }), assignment, undefined, NOW_MS);
    expect(r.decision).toEqual({ ownerId: '12', ownerKey: 'us-2', source: 'existing', poolId: null });
    expect(r.rotation).toBeNull();
  });

  it('keeps an existing owner the roster does not know (the CRM says who owns it)', () => {
    expect(assignOwner(contact({ ownerId: '777' }), assignment, undefined, NOW_MS).decision.source).toBe('existing');
  });

  it('reassigns when the existing owner is inactive in the config or in the CRM', () => {
    expect(assignOwner(contact({ ownerId: '99' }), assignment, undefined, NOW_MS).decision.source).toBe('rotation');
    const state: AssignmentState = { rotation: {}, unavailableOwnerIds: ['12'] };
    expect(assignOwner(contact({ ownerId: '12' }), assignment, state, NOW_MS).decision.ownerKey).toBe('us-1');
  });

  it('routes by territory', () => {
    const r = assignOwner(contact({ fields: { country: 'Germany' } }), assignment, undefined, NOW_MS);
    expect(r.decision).toEqual({ ownerId: '21', ownerKey: 'eu-1', source: 'rotation', poolId: 'emea' });
  });

  it('rotates fairly by weight and never picks inactive or unavailable owners', () => {
    const state: AssignmentState = { rotation: {} };
    const picks: string[] = [];
    for (let i = 0; i < 300; i++) {
      const r = assignOwner(contact(), assignment, state, NOW_MS);
      picks.push(r.decision.ownerKey!);
      state.rotation[r.rotation!.poolId] = r.rotation!.credits;
    }
    expect(count(picks)).toEqual({ 'us-1': 200, 'us-2': 100 });
  });

  it('skips owners without an id in this CRM and says so when none is left', () => {
    const sf = contact({ crm: 'salesforce', objectType: 'lead' });
    expect(assignOwner(sf, assignment, { rotation: {}, unavailableOwnerIds: [] }, NOW_MS).decision.ownerId).toBe(
      '005A',
    );
    const none = assignOwner(sf, assignment, { rotation: {}, unavailableOwnerIds: ['005A'] }, NOW_MS);
    expect(none.decision.source).toBe('none');
    expect(none.warning).toBe('pool rest has no active owner with a salesforce id');
  });
});
