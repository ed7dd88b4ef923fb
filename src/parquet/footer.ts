import { ThriftWriter, type ThriftField } from './thrift-compact';
import { ConvertedType, Encoding, MAGIC, PHYSICAL, Repetition, type ParquetColumn } from './schema';

/** Where one column chunk (its page headers and pages) lies in a file, and its sizes. */
export interface ChunkPlacement {
  readonly column: ParquetColumn;
  /** parquet.thrift CompressionCodec id of its pages. */
  readonly codec: number;
  /** Byte offset of its first page header (its dictionary page's, when it has one). */
  readonly offset: number;
  /** Byte offset of its first data page header, when it has a dictionary page (else `offset`). */
  readonly dataOffset?: number;
  /** Page headers plus pages as stored / as decompressed. */
  readonly storedBytes: number;
  readonly uncompressedBytes: number;
}

/**
 * The end of a file: FileMetaData (thrift compact), its length and the magic. One row group holding
 * `chunks` (one per column, in `columns` order), or none when there are no rows.
 */
export function fileTail(columns: readonly ParquetColumn[], rows: number, chunks: readonly ChunkPlacement[]): Buffer {
  const columnChunks: ThriftField[][] = chunks.map((chunk) => [
    [2, 'i64', chunk.offset],
    [
      3,
      'struct',
      [
        [1, 'i32', PHYSICAL[chunk.column.type]],
        [2, 'list<i32>', chunk.dataOffset === undefined ? [Encoding.PLAIN, Encoding.RLE] : [Encoding.PLAIN_DICTIONARY, Encoding.RLE]],
        [3, 'list<binary>', [chunk.column.name]],
        [4, 'i32', chunk.codec],
        [5, 'i64', rows],
        [6, 'i64', chunk.uncompressedBytes],
        [7, 'i64', chunk.storedBytes],
        [9, 'i64', chunk.dataOffset ?? chunk.offset],
        ...(chunk.dataOffset === undefined ? [] : ([[11, 'i64', chunk.offset]] as ThriftField[])),
      ],
    ],
  ]);
  const totalBytes = chunks.reduce((sum, chunk) => sum + chunk.storedBytes, 0);
  const footer = new ThriftWriter()
    .struct([
      [1, 'i32', 1],
      [2, 'list<struct>', [[[4, 'binary', 'schema'], [5, 'i32', columns.length]], ...columns.map(schemaElement)]],
      [3, 'i64', rows],
      [4, 'list<struct>', rows === 0 ? [] : [[[1, 'list<struct>', columnChunks], [2, 'i64', totalBytes], [3, 'i64', rows]]]],
      [6, 'binary', 'eventlake'],
    ])
    .toBuffer();
  const length = Buffer.alloc(4);
  length.writeUInt32LE(footer.length);
  return Buffer.concat([footer, length, MAGIC]);
}

function schemaElement(column: ParquetColumn): ThriftField[] {
  const fields: ThriftField[] = [
    [1, 'i32', PHYSICAL[column.type]],
    [3, 'i32', Repetition.OPTIONAL],
    [4, 'binary', column.name],
  ];
  // The legacy ConvertedType and the LogicalType union (STRING is its field 1, DATE its field 6).
  if (column.type === 'utf8') fields.push([6, 'i32', ConvertedType.UTF8], [10, 'struct', [[1, 'struct', []]]]);
  if (column.type === 'date') fields.push([6, 'i32', ConvertedType.DATE], [10, 'struct', [[6, 'struct', []]]]);
  return fields;
}
