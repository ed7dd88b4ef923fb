import { LineBuffer } from '../../src/pipeline/line-buffer';

describe('LineBuffer', () => {
  it('joins lines, each ending in a newline, across chunk boundaries', () => {
    const buffer = new LineBuffer(8);
    for (const line of ['a', 'b', 'c', 'é']) buffer.push(line);

    expect(buffer.toBuffer().toString('utf8')).toBe('a\nb\nc\né\n');
    expect(buffer.length).toBe(4);
  });

  it('is empty (not a lone newline) when nothing was pushed', () => {
    expect(new LineBuffer().toBuffer().length).toBe(0);
  });

  it('rolls back to a mark, dropping flushed and pending lines after it', () => {
    const buffer = new LineBuffer(8);
    buffer.push('keep');
    const mark = buffer.mark();
    for (const line of ['x', 'y', 'z']) buffer.push(line);

    buffer.rollback(mark);
    buffer.push('after');

    expect(buffer.toBuffer().toString('utf8')).toBe('keep\nafter\n');
    expect(buffer.length).toBe(2);
  });

  it('rolls back across closed chunks, multi-byte text included', () => {
    const buffer = new LineBuffer(4);
    buffer.push('ä');
    const mark = buffer.mark();
    for (const line of ['ééééé', 'x', '€€€']) buffer.push(line);

    buffer.rollback(mark);
    buffer.push('ok');

    expect(buffer.toBuffer().toString('utf8')).toBe('ä\nok\n');
    expect(buffer.length).toBe(2);
  });
});
