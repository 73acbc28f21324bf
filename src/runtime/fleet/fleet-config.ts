/** The `fleet:` section of the daemon config: which groups' deployments this device follows. */
export interface FleetConfig {
  enabled: boolean;
  groups: string[];
  healthWindowS: number;
}

export const fleetConfigSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description:
    'signed desired-state deployments over MQTT (edgerun fleet): documents on <prefix>/<device>/deployment and <prefix>/fleet/<group>/deployment, signed by a key in trust.keys',
  properties: {
    enabled: { type: 'boolean', default: false, description: 'follow deployment documents; restart' },
    groups: {
      type: 'array',
      default: [],
      uniqueItems: true,
      items: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
      description: 'groups whose deployment this device applies, first match wins; its own device document beats them all',
    },
    healthWindowS: {
      type: 'number',
      minimum: 1,
      maximum: 3600,
      default: 30,
      description: 'seconds of results compared before and after a swap for the health summary',
    },
  },
} as const;

/** A fleet that can never accept a document, or a device id that collides with the fleet's own topics. */
export function fleetProblems(config: { fleet: FleetConfig; trust: { keys: unknown[] }; device: { id?: string } }): string[] {
  if (!config.fleet.enabled) return [];
  const problems: string[] = [];
  if (config.trust.keys.length === 0) problems.push('fleet.enabled: deployment documents must be signed, but trust.keys is empty (add the controller\'s key: `edgerun keys generate` prints the line)');
  if (config.device.id === 'fleet') problems.push('device.id: "fleet" is taken by the fleet\'s group topics (<prefix>/fleet/<group>/...); choose another id');
  return problems;
}
