import { installPromiseWithResolvers } from '../../src/runtime/polyfill';

describe('installPromiseWithResolvers', () => {
  const original = (Promise as unknown as { withResolvers?: unknown }).withResolvers;
  afterEach(() => {
    Object.defineProperty(Promise, 'withResolvers', { value: original, configurable: true, writable: true });
  });

  it('adds a working Promise.withResolvers where the runtime lacks it (Node 20)', async () => {
    // Prepare
    delete (Promise as unknown as { withResolvers?: unknown }).withResolvers;
    // Act
    installPromiseWithResolvers();
    const { promise, resolve } = (Promise as unknown as { withResolvers: <T>() => { promise: Promise<T>; resolve: (v: T) => void } }).withResolvers<number>();
    resolve(42);
    // Assess
    await expect(promise).resolves.toBe(42);
  });

  it('rejects through the returned reject', async () => {
    delete (Promise as unknown as { withResolvers?: unknown }).withResolvers;
    installPromiseWithResolvers();
    const { promise, reject } = (Promise as unknown as { withResolvers: () => { promise: Promise<unknown>; reject: (e: unknown) => void } }).withResolvers();
    reject(new Error('boom'));
    await expect(promise).rejects.toThrow('boom');
  });

  it('leaves a native implementation alone', () => {
    const native = () => 'native';
    Object.defineProperty(Promise, 'withResolvers', { value: native, configurable: true, writable: true });
    installPromiseWithResolvers();
    expect((Promise as unknown as { withResolvers: unknown }).withResolvers).toBe(native);
  });
});
