/** What a client call failed with; fails the test if the call succeeded. */
export async function rejection<E>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected the client call to fail');
}
