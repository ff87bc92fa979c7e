import { constantTimeEqual } from '../../../src/aliyun-rpc/signature-check.js';
import { signV1, stringToSignV1, verifySignatureV1 } from '../../../src/aliyun-rpc/signature-v1.js';

/** Aliyun's published example (RPC signature document). */
const VECTOR = {
  AccessKeyId: 'testid',
  Action: 'DescribeRegions',
  Format: 'XML',
  SignatureMethod: 'HMAC-SHA1',
  SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
  SignatureVersion: '1.0',
  Timestamp: '2016-02-23T12:46:24Z',
  Version: '2014-05-26',
};

describe('signature v1', () => {
  test('reproduces the public test vector', () => {
    expect(stringToSignV1('GET', VECTOR)).toBe(
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1' +
        '%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0' +
        '%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
    );
    expect(signV1('testsecret', 'GET', VECTOR)).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });

  test('leaves Signature out of what it signs', () => {
    const withSignature = { ...VECTOR, Signature: 'anything' };
    expect(stringToSignV1('GET', withSignature)).toBe(stringToSignV1('GET', VECTOR));
  });

  test('signs the method, upper-cased', () => {
    expect(stringToSignV1('post', VECTOR).startsWith('POST&%2F&')).toBe(true);
    expect(signV1('testsecret', 'POST', VECTOR)).not.toBe(signV1('testsecret', 'GET', VECTOR));
  });

  test('double-encodes reserved characters inside values', () => {
    expect(stringToSignV1('GET', { Email: 'a+b c@x.com' })).toBe('GET&%2F&Email%3Da%252Bb%2520c%2540x.com');
  });

  test('verifies a matching signature and refuses a wrong one', () => {
    const good = verifySignatureV1('testsecret', 'GET', { ...VECTOR, Signature: 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=' });
    expect(good).toEqual({ matches: true, stringToSign: stringToSignV1('GET', VECTOR) });
    expect(verifySignatureV1('othersecret', 'GET', { ...VECTOR, Signature: 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=' }).matches).toBe(
      false,
    );
    expect(verifySignatureV1('testsecret', 'GET', VECTOR).matches).toBe(false);
  });
});

describe('constantTimeEqual', () => {
  test('is plain equality, whatever the lengths', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});
