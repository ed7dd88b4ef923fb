import { fileTail, type ChunkPlacement } from './footer';
import { asStruct, chunkStart, columnsOf, list, num, readFooter } from './reader';
import { MAGIC, type ParquetColumn } from './schema';

/** One input of spliceColumns: a Parquet file of at most one row group, named for errors. */
export interface SpliceInput {
  readonly file: Buffer;
  readonly name: string;
}

/**
 * A file whose columns, in `order`, are taken from `inputs` (the first input that has a column gives it):
 * each column chunk, page headers and pages, is copied as it is; only the footer is written anew. Every
 * input must hold the same rows (same count, same order) in at most one row group, as our parts do. It lets
 * enrichment write only the columns it changes (src/pipeline/enrich-slice.ts).
 */
export function spliceColumns(inputs: readonly SpliceInput[], order: readonly string[]): Buffer {
  const sources = inputs.map(({ file, name }) => {
    const meta = readFooter(file);
    const groups = list(meta.get(4));
    if (groups.length > 1) throw new Error(`${name}: ${groups.length} row groups; only files of one row group can be spliced`);
    const columns = columnsOf(meta, name).map((c) => c.column);
    const chunks = groups.length === 0 ? [] : list(asStruct(groups[0]).get(1)).map((chunk) => asStruct(asStruct(chunk).get(3)));
    return { file, name, rows: num(meta.get(3)), columns, chunks };
  });
  const rows = sources[0]?.rows ?? 0;
  for (const source of sources) {
    if (source.rows !== rows) throw new Error(`${source.name}: ${source.rows} rows where ${sources[0]?.name} has ${rows}; splice needs the same rows`);
  }
  const pieces: Buffer[] = [MAGIC];
  let offset = MAGIC.length;
  const columns: ParquetColumn[] = [];
  const chunks: ChunkPlacement[] = [];
  for (const name of order) {
    const source = sources.find((s) => s.columns.some((c) => c.name === name));
    if (source === undefined) throw new Error(`no input has a column ${name}`);
    const index = source.columns.findIndex((c) => c.name === name);
    const column = source.columns[index] as ParquetColumn;
    columns.push(column);
    if (rows === 0) continue;
    const info = asStruct(source.chunks[index]);
    const start = chunkStart(info);
    const storedBytes = num(info.get(7));
    pieces.push(source.file.subarray(start, start + storedBytes));
    chunks.push({
      column,
      codec: num(info.get(4)),
      offset,
      ...(info.has(11) ? { dataOffset: offset + num(info.get(9)) - start } : {}),
      storedBytes,
      uncompressedBytes: num(info.get(6)),
    });
    offset += storedBytes;
  }
  pieces.push(fileTail(columns, rows, chunks));
  return Buffer.concat(pieces);
}
