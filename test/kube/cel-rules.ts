// Hand-written TypeScript equivalents of the CEL rules (x-kubernetes-validations)
// in crds/network.openyurt.io_bgppeers.yaml, for the test API server, which has
// no CEL interpreter. Keyed by the exact rule string: a test checks that this
// table and the CRD name the same rules, so a rule edited in one place fails.

type Json = Record<string, unknown>;

/** CEL `has(self.f)`: the field is present in the object. */
function has(self: Json, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(self, field);
}

export const celRules: ReadonlyMap<string, (self: unknown) => boolean> = new Map<string, (self: unknown) => boolean>([
  // RFC 4271 §4.2: Hold Time is zero or at least three seconds.
  ['self == 0 || self >= 3', (self) => self === 0 || (self as number) >= 3],
  // RFC 4271 §4.4: KEEPALIVEs must come more often than the hold time runs out.
  [
    '!has(self.keepaliveTime) || !has(self.holdTime) || self.holdTime == 0 || self.keepaliveTime < self.holdTime',
    (self) => {
      const s = self as Json;
      return (
        !has(s, 'keepaliveTime') ||
        !has(s, 'holdTime') ||
        s.holdTime === 0 ||
        (s.keepaliveTime as number) < (s.holdTime as number)
      );
    },
  ],
]);
