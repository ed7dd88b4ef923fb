/**
 * The Thrift compact protocol, as much of it as Parquet's metadata needs (the page headers and the file
 * footer: https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md, the structs in
 * https://github.com/apache/parquet-format/blob/master/src/main/thrift/parquet.thrift). Field ids, not
 * names, identify fields; the writer emits fields in increasing id order, as the spec's delta encoding wants.
 */

/** Compact-protocol type ids. */
export const CT = {
  STOP: 0,
  TRUE: 1,
  FALSE: 2,
  BYTE: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  DOUBLE: 7,
  BINARY: 8,
  LIST: 9,
  SET: 10,
  MAP: 11,
  STRUCT: 12,
} as const;

/** A field to write: the struct's field id and its value. */
export type ThriftField =
  | readonly [id: number, kind: 'i32' | 'i64', value: number]
  | readonly [id: number, kind: 'bool', value: boolean]
  | readonly [id: number, kind: 'binary', value: string | Buffer]
  | readonly [id: number, kind: 'struct', value: readonly ThriftField[]]
  | readonly [id: number, kind: 'list<i32>', value: readonly number[]]
  | readonly [id: number, kind: 'list<binary>', value: readonly string[]]
  | readonly [id: number, kind: 'list<struct>', value: readonly (readonly ThriftField[])[]];

/** Encodes Thrift compact structs into a growing byte array. */
export class ThriftWriter {
  private bytes: number[] = [];

  struct(fields: readonly ThriftField[]): this {
    let last = 0;
    for (const field of fields) {
      const [id, kind, value] = field;
      if (id <= last) throw new RangeError(`thrift fields must be written in increasing id order: ${id} after ${last}`);
      const type = kind === 'bool' ? (value ? CT.TRUE : CT.FALSE) : typeOf(kind);
      if (id - last <= 15) this.bytes.push(((id - last) << 4) | type);
      else {
        this.bytes.push(type);
        this.varint(zigzag(id));
      }
      last = id;
      switch (field[1]) {
        case 'i32':
        case 'i64':
          this.varint(zigzag(field[2]));
          break;
        case 'bool':
          break;
        case 'binary':
          this.binary(field[2]);
          break;
        case 'struct':
          this.struct(field[2]);
          break;
        case 'list<i32>':
          this.listHeader(field[2].length, CT.I32);
          for (const v of field[2]) this.varint(zigzag(v));
          break;
        case 'list<binary>':
          this.listHeader(field[2].length, CT.BINARY);
          for (const v of field[2]) this.binary(v);
          break;
        case 'list<struct>':
          this.listHeader(field[2].length, CT.STRUCT);
          for (const v of field[2]) this.struct(v);
          break;
      }
    }
    this.bytes.push(CT.STOP);
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }

  private listHeader(size: number, elementType: number): void {
    if (size < 15) this.bytes.push((size << 4) | elementType);
    else {
      this.bytes.push(0xf0 | elementType);
      this.varint(size);
    }
  }

  private binary(value: string | Buffer): void {
    const buffer = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.varint(buffer.length);
    for (const byte of buffer) this.bytes.push(byte);
  }

  private varint(value: number): void {
    for (const byte of uleb128(value)) this.bytes.push(byte);
  }

}

function typeOf(kind: ThriftField[1]): number {
  switch (kind) {
    case 'i32':
      return CT.I32;
    case 'i64':
      return CT.I64;
    case 'binary':
      return CT.BINARY;
    case 'struct':
      return CT.STRUCT;
    default:
      return CT.LIST;
  }
}

/** Zigzag of a safe integer, as a non-negative number. */
function zigzag(n: number): number {
  if (!Number.isSafeInteger(n) || Math.abs(n) > 2 ** 52) throw new RangeError(`thrift integer out of range: ${n}`);
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

/** A decoded value: integers as numbers, binaries as Buffers, structs as field-id maps, lists as arrays. */
export type ThriftValue = number | boolean | Buffer | ThriftStruct | ThriftValue[];
export type ThriftStruct = Map<number, ThriftValue>;

/** Decodes Thrift compact structs (every type Parquet's metadata uses; unknown fields are kept, never an error). */
export class ThriftReader {
  constructor(
    private readonly buffer: Buffer,
    public offset = 0,
  ) {}

  struct(): ThriftStruct {
    const fields: ThriftStruct = new Map();
    let last = 0;
    for (;;) {
      const header = this.byte();
      if (header === CT.STOP) return fields;
      const type = header & 0x0f;
      const delta = header >> 4;
      const id = delta === 0 ? unzigzag(this.varint()) : last + delta;
      last = id;
      fields.set(id, this.value(type));
    }
  }

  private value(type: number): ThriftValue {
    switch (type) {
      case CT.TRUE:
        return true;
      case CT.FALSE:
        return false;
      case CT.BYTE:
        return this.byte();
      case CT.I16:
      case CT.I32:
      case CT.I64:
        return unzigzag(this.varint());
      case CT.DOUBLE: {
        const value = this.buffer.readDoubleLE(this.offset);
        this.offset += 8;
        return value;
      }
      case CT.BINARY: {
        const length = this.varint();
        const value = this.buffer.subarray(this.offset, this.offset + length);
        this.offset += length;
        return value;
      }
      case CT.LIST:
      case CT.SET: {
        const header = this.byte();
        const size = header >> 4 === 15 ? this.varint() : header >> 4;
        const elementType = header & 0x0f;
        const list: ThriftValue[] = [];
        // In a list, booleans are one byte each (1 = true).
        for (let i = 0; i < size; i++) list.push(elementType === CT.TRUE || elementType === CT.FALSE ? this.byte() === 1 : this.value(elementType));
        return list;
      }
      case CT.MAP: {
        const size = this.varint();
        if (size === 0) return new Map();
        const types = this.byte();
        const map: ThriftStruct = new Map();
        for (let i = 0; i < size; i++) {
          const key = this.value(types >> 4);
          map.set(typeof key === 'number' ? key : i, this.value(types & 0x0f));
        }
        return map;
      }
      case CT.STRUCT:
        return this.struct();
      default:
        throw new Error(`not a thrift compact type: ${type} at byte ${this.offset}`);
    }
  }

  private byte(): number {
    if (this.offset >= this.buffer.length) throw new RangeError('thrift data ends early');
    return this.buffer[this.offset++] as number;
  }

  private varint(): number {
    const read = readUleb128(this.buffer, this.offset);
    if (read === undefined) throw new RangeError('thrift data ends early');
    this.offset = read.next;
    return read.value;
  }

}

/**
 * Unsigned LEB128 (varint) of a non-negative safe integer: Thrift compact's integers and the run headers of
 * Parquet's RLE/bit-packing hybrid. Arithmetic, not bit operations: values exceed 2^31.
 */
export function uleb128(value: number): number[] {
  const bytes: number[] = [];
  let v = value;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return bytes;
}

/** The varint at `offset` and the offset after it; undefined when the bytes end first. */
export function readUleb128(bytes: Uint8Array, offset: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let at = offset; at < bytes.length; at++) {
    const byte = bytes[at] as number;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return { value, next: at + 1 };
    scale *= 0x80;
  }
  return undefined;
}

function unzigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}
