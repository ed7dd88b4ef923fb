import { CallRecorder, UNATTRIBUTED } from '../../../verify/fakes/recorder';

describe('CallRecorder', () => {
  it('attributes a record to the principal of the current run, the innermost one when nested', async () => {
    const recorder = new CallRecorder();
    const request = [{ action: 's3:GetObject', resources: ['arn:aws:s3:::b-1/k'] }];

    recorder.record('S3', 'GetObject', request);
    await recorder.run('outer', async () => {
      await Promise.resolve();
      recorder.record('S3', 'GetObject', request);
      recorder.run('inner', () => recorder.record('S3', 'GetObject', request));
    });

    expect(recorder.calls.map((c) => c.principal)).toEqual([UNATTRIBUTED, 'outer', 'inner']);
  });

  it('records one entry per IAM request, with an explicit principal and via when given', () => {
    const recorder = new CallRecorder();

    recorder.record(
      'S3',
      'CopyObject',
      [
        { action: 's3:GetObject', resources: ['arn:aws:s3:::b-1/src'] },
        { action: 's3:PutObject', resources: ['arn:aws:s3:::b-1/dst'], context: { 's3:x': 'y' } },
      ],
      { principal: 'role-a', via: 'athena' },
    );

    expect(recorder.callsBy('role-a')).toEqual([
      {
        principal: 'role-a',
        service: 'S3',
        operation: 'CopyObject',
        action: 's3:GetObject',
        resources: ['arn:aws:s3:::b-1/src'],
        via: 'athena',
      },
      {
        principal: 'role-a',
        service: 'S3',
        operation: 'CopyObject',
        action: 's3:PutObject',
        resources: ['arn:aws:s3:::b-1/dst'],
        context: { 's3:x': 'y' },
        via: 'athena',
      },
    ]);
    recorder.clear();
    expect(recorder.calls).toEqual([]);
  });

  it('refuses an empty principal and an account id that is not 12 digits', () => {
    expect(() => new CallRecorder().run('', () => 1)).toThrow(TypeError);
    expect(() => new CallRecorder({ account: '1234' })).toThrow(RangeError);
    expect(new CallRecorder({ region: 'eu-west-1' }).scope).toEqual({
      account: '123456789012',
      region: 'eu-west-1',
      partition: 'aws',
    });
  });
});
