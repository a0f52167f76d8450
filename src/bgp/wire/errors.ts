// The one error type of the codec: a BgpError *is* the NOTIFICATION that
// RFC 4271 §6 says to send for the problem (code, subcode, data).
// RFC 7606 softer outcomes (treat-as-withdraw, attribute discard) are not
// errors: they are reported on the decoded UPDATE.

export class BgpError extends Error {
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;

  constructor(code: number, subcode: number, data: Uint8Array = new Uint8Array(0), message?: string) {
    super(message ?? `BGP error ${code}/${subcode}`);
    this.name = 'BgpError';
    this.code = code;
    this.subcode = subcode;
    this.data = data;
  }
}
