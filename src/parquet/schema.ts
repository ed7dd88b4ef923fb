/**
 * The column types eventlake writes to Parquet (https://github.com/apache/parquet-format: LogicalTypes.md,
 * Encodings.md), each stored as an OPTIONAL column of one physical type:
 * - `utf8`: BYTE_ARRAY annotated STRING (UTF8); values are JS strings or Buffers already holding UTF-8.
 * - `double`: DOUBLE. `int64`: INT64. `int32`: INT32 (safe integers only).
 * - `date`: INT32 annotated DATE (days since 1970-01-01); values are `YYYY-MM-DD` text or a day number.
 */
export type ParquetType = 'utf8' | 'double' | 'int64' | 'int32' | 'date';

export interface ParquetColumn {
  readonly name: string;
  readonly type: ParquetType;
  /**
   * `utf8` only: store each distinct value once, in a dictionary page, and each row as its index into it
   * (PLAIN_DICTIONARY in a version 1 file, Encodings.md): for columns of few distinct values (names, codes,
   * the object key).
   */
  readonly dictionary?: boolean;
}

/** A value of one column: null, or the JS form of its type (see ParquetType). */
export type ParquetValue = string | Buffer | number | null;

/** Page compression: none, or GZIP (the Parquet codec id 2, gzip framing as RFC 1952 defines it). */
export type ParquetCodec = 'uncompressed' | 'gzip';

/** parquet.thrift enum values. */
export const PhysicalType = { INT32: 1, INT64: 2, DOUBLE: 5, BYTE_ARRAY: 6 } as const;
export const ConvertedType = { UTF8: 0, DATE: 6 } as const;
export const Encoding = { PLAIN: 0, PLAIN_DICTIONARY: 2, RLE: 3, RLE_DICTIONARY: 8 } as const;
export const Codec = { uncompressed: 0, gzip: 2 } as const;
export const Repetition = { REQUIRED: 0, OPTIONAL: 1 } as const;
export const PageType = { DATA_PAGE: 0, DICTIONARY_PAGE: 2 } as const;

export const PHYSICAL: Readonly<Record<ParquetType, number>> = {
  utf8: PhysicalType.BYTE_ARRAY,
  double: PhysicalType.DOUBLE,
  int64: PhysicalType.INT64,
  int32: PhysicalType.INT32,
  date: PhysicalType.INT32,
};

export const MAGIC = Buffer.from('PAR1', 'latin1');
