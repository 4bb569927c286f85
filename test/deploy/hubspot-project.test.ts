import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HUBSPOT_SCOPES } from '../../src/crm/hubspot/hubspot-oauth.ts';
import { ENGAGEMENT_ACTIVITY, PROPERTY_ACTIVITY } from '../../webhooks/hubspot/hubspot-normalize.ts';
import { defaultConfig } from '../helpers/fixtures.ts';

// The developer-platform project (developers.hubspot.com/docs/apps/developer-platform/add-features/configure-webhooks):
// app-hsmeta.json declares the OAuth scopes, webhooks-hsmeta.json the subscriptions. They must
// match what the code asks for and listens to, or installs fail and events never arrive.
const json = (p: string) => JSON.parse(readFileSync(new URL(`../../hubspot-project/${p}`, import.meta.url), 'utf8'));
const app = json('src/app/app-hsmeta.json');
const hooks = json('src/app/webhooks/webhooks-hsmeta.json');

describe('the HubSpot project files', () => {
  it('declare exactly the scopes the install asks for', () => {
    expect(app.type).toBe('app');
    expect(app.config.auth.type).toBe('oauth');
    expect([...app.config.auth.requiredScopes].sort()).toEqual([...HUBSPOT_SCOPES].sort());
    expect(app.config.auth.redirectUrls[0]).toMatch(/\/oauth\/hubspot\/callback$/);
  });

  it('subscribe to every property the scoring reads and every engagement it links', () => {
    expect(hooks.type).toBe('webhooks');
    expect(hooks.config.settings.targetUrl).toMatch(/\/webhooks\/hubspot$/);
    const watched = new Set(
      hooks.config.subscriptions.legacyCrmObjects
        .filter((s: { propertyName?: string }) => s.propertyName)
        .map((s: { propertyName: string }) => s.propertyName),
    );
    for (const p of Object.keys(PROPERTY_ACTIVITY)) expect(watched, p).toContain(p);
    const hubspot = defaultConfig().crm['hubspot'] as { fields: Record<string, string> };
    for (const p of Object.values(hubspot.fields).filter((p) => p !== 'email' && p !== 'firstname' && p !== 'lastname'))
      expect(watched, p).toContain(p);
    const objects = hooks.config.subscriptions.crmObjects.map(
      (s: { subscriptionType: string; objectType: string }) => `${s.subscriptionType}:${s.objectType}`,
    );
    expect(objects).toHaveLength(Object.keys(ENGAGEMENT_ACTIVITY).length * 2);
    expect(hooks.config.subscriptions.hubEvents).toEqual([
      { subscriptionType: 'contact.privacyDeletion', active: true },
    ]);
  });
});
