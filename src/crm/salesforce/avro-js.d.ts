// avro-js ships no types: the part leadstage uses (schema parsing, binary decoding, a custom long).
declare module 'avro-js' {
  export interface AvroField {
    getName(): string;
  }
  export interface AvroType {
    toBuffer(value: unknown): Buffer;
    fromBuffer(buf: Buffer): unknown;
    getFields(): AvroField[];
  }
  export interface LongTypeStatic {
    using(methods: {
      fromBuffer(buf: Buffer): unknown;
      toBuffer(n: unknown): Buffer;
      fromJSON(v: unknown): unknown;
      toJSON(v: unknown): unknown;
      isValid(v: unknown): boolean;
      compare(a: unknown, b: unknown): number;
    }): unknown;
  }
  const avro: {
    parse(schema: string | object, opts?: { registry?: Record<string, unknown> }): AvroType;
    types: { LongType: LongTypeStatic };
  };
  export default avro;
}
