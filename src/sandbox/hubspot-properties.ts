import type { HsReply } from './hubspot-face.ts';

/** A portal's contact property schema: property groups, properties, and the options of enumerations. */
export interface PropertySchema {
  groups: Set<string>;
  properties: Set<string>;
  options: Record<string, string[]>;
}

/**
 * The contact property endpoints `leadstage setup hubspot` and the vocabulary checks use
 * (developers.hubspot.com/docs/api-reference/crm-properties-v3): groups, list, one property with its
 * options, create (its group must exist).
 */
export function propertiesRoute(route: string, schema: PropertySchema, body: any, path: string): HsReply {
  switch (route) {
    case 'GET /crm/v3/properties/contacts/groups':
      return {
        status: 200,
        body: { results: [...schema.groups].map((name) => ({ name, label: name, displayOrder: 0, archived: false })) },
      };
    case 'POST /crm/v3/properties/contacts/groups':
      schema.groups.add(body.name);
      return {
        status: 201,
        body: { name: body.name, label: body.label, displayOrder: body.displayOrder ?? 0, archived: false },
      };
    case 'GET /crm/v3/properties/contacts':
      return {
        status: 200,
        body: {
          results: [...schema.properties].map((name) => ({
            name,
            label: name,
            type: 'string',
            fieldType: 'text',
            groupName: 'contactinformation',
          })),
        },
      };
    case 'GET /crm/v3/properties/contacts/:name': {
      const name = path.split('/').pop()!;
      if (!schema.properties.has(name))
        return {
          status: 404,
          body: { status: 'error', message: `Unable to find property ${name}`, category: 'OBJECT_NOT_FOUND' },
        };
      const options = (schema.options[name] ?? []).map((value, displayOrder) => ({
        label: value,
        value,
        displayOrder,
        hidden: false,
      }));
      return {
        status: 200,
        body: {
          name,
          label: name,
          type: options.length ? 'enumeration' : 'string',
          fieldType: options.length ? 'select' : 'text',
          groupName: 'contactinformation',
          options,
        },
      };
    }
    case 'POST /crm/v3/properties/contacts':
      if (!body.type || !body.fieldType || !body.groupName || !schema.groups.has(body.groupName)) {
        return {
          status: 400,
          body: {
            status: 'error',
            message: 'Property group, type and fieldType are required; the group must exist',
            category: 'VALIDATION_ERROR',
          },
        };
      }
      schema.properties.add(body.name);
      return { status: 201, body: { ...body } };
    default:
      return {
        status: 404,
        body: { status: 'error', message: `sandbox: no route ${route}`, category: 'OBJECT_NOT_FOUND' },
      };
  }
}
