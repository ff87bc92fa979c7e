/**
 * The local evaluator of EventBridge event patterns and Pipes input templates, held to the
 * matching rules EventBridge documents (the examples are the documentation's own kinds), so that
 * what `npm start` and the pipe tests conclude from it is what EventBridge would.
 */
import { matchesEventPattern, renderInputTemplate } from '../../../local/event-pattern.js';

const EC2_EVENT = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0', 'arn:aws:ec2:us-west-1:123456789012:volume/v-1'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated', 'c-count': 5, 'd-count': null, tags: { team: 'Mail' } },
};

describe('event patterns', () => {
  test.each<[string, unknown, boolean]>([
    ['an exact value', { source: ['aws.ec2'] }, true],
    ['any of several values', { source: ['aws.s3', 'aws.ec2'] }, true],
    ['no listed value', { source: ['aws.s3'] }, false],
    ['a field the event lacks', { nothing: ['x'] }, false],
    ['nested fields, all required', { source: ['aws.ec2'], detail: { state: ['terminated'], 'instance-id': ['i-1234567890abcdef0'] } }, true],
    ['nested fields, one wrong', { source: ['aws.ec2'], detail: { state: ['running'] } }, false],
    ['an array value matches if any element does', { resources: ['arn:aws:ec2:us-west-1:123456789012:volume/v-1'] }, true],
    ['prefix', { time: [{ prefix: '2017-12-22' }] }, true],
    ['prefix, not matching', { time: [{ prefix: '2018' }] }, false],
    ['prefix ignoring case', { detail: { state: [{ prefix: { 'equals-ignore-case': 'TERM' } }] } }, true],
    ['suffix', { detail: { 'instance-id': [{ suffix: 'def0' }] } }, true],
    ['equals-ignore-case', { detail: { state: [{ 'equals-ignore-case': 'TERMINATED' }] } }, true],
    ['anything-but a value', { detail: { state: [{ 'anything-but': 'initializing' }] } }, true],
    ['anything-but the value it has', { detail: { state: [{ 'anything-but': 'terminated' }] } }, false],
    ['anything-but a list', { detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } }, false],
    ['anything-but a prefix', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, true],
    ['numeric range', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, true],
    ['numeric range, outside', { detail: { 'c-count': [{ numeric: ['>', 5] }] } }, false],
    ['numeric on a string', { detail: { state: [{ numeric: ['>', 0] }] } }, false],
    ['a number matches a number, not its text', { detail: { 'c-count': ['5'] } }, false],
    ['null matches null', { detail: { 'd-count': [null] } }, true],
    ['exists: true on a present leaf', { detail: { state: [{ exists: true }] } }, true],
    ['exists: true on an object is false', { detail: { tags: [{ exists: true }] } }, false],
    ['exists: false on an absent field', { detail: { missing: [{ exists: false }] } }, true],
    ['exists: false on a present field', { detail: { state: [{ exists: false }] } }, false],
    ['wildcard', { detail: { 'instance-id': [{ wildcard: 'i-*ef0' }] } }, true],
    ['wildcard, not matching', { detail: { 'instance-id': [{ wildcard: 'i-*x' }] } }, false],
    ['$or: one alternative matches', { $or: [{ source: ['aws.s3'] }, { detail: { state: ['terminated'] } }] }, true],
    ['$or: none matches', { $or: [{ source: ['aws.s3'] }, { detail: { state: ['running'] } }] }, false],
    ['an object pattern against a leaf value', { source: { nested: ['x'] } }, false],
  ])('%s', (_, pattern, expected) => {
    expect(matchesEventPattern(pattern, EC2_EVENT)).toBe(expected);
  });

  test('an operator it does not know throws rather than guessing', () => {
    expect(() => matchesEventPattern({ source: [{ cidr: '10.0.0.0/24' }] }, EC2_EVENT)).toThrow(/unsupported event pattern operator "cidr"/);
    expect(() => matchesEventPattern({ source: 'aws.ec2' }, EC2_EVENT)).toThrow(/array of matchers or an object/);
    expect(() => matchesEventPattern(['x'], EC2_EVENT)).toThrow(/JSON object/);
  });
});

describe('input templates', () => {
  const record = {
    eventName: 'MODIFY',
    dynamodb: { NewImage: { address: { S: 'jane@example.com' }, note: { S: 'a "quoted" \\ value' }, n: { N: '42' } }, Keys: { pk: { S: 'EMAIL#x' } } },
    list: [{ v: 'first' }, { v: 'second' }],
  };

  test('quoted paths become string content, unquoted ones JSON; the result is JSON', () => {
    const rendered = renderInputTemplate(
      '{"email": "<$.dynamodb.NewImage.address.S>", "keys": <$.dynamodb.Keys>, "second": "<$.list[1].v>", "text": "Hello, <$.dynamodb.NewImage.address.S>!"}',
      record,
    );
    expect(JSON.parse(rendered)).toEqual({
      email: 'jane@example.com',
      keys: { pk: { S: 'EMAIL#x' } },
      second: 'second',
      text: 'Hello, jane@example.com!',
    });
  });

  test('a value with quotes and backslashes is escaped, so the output stays valid JSON', () => {
    expect(JSON.parse(renderInputTemplate('{"note": "<$.dynamodb.NewImage.note.S>"}', record))).toEqual({ note: 'a "quoted" \\ value' });
    // Escaped quotes in the template's own text do not confuse what is inside a string.
    expect(JSON.parse(renderInputTemplate('{"say \\"<\\"": "<$.eventName>", "raw": <$.eventName>}', record))).toEqual({
      'say "<"': 'MODIFY',
      raw: 'MODIFY',
    });
  });

  test('reserved variables, and a missing path or variable throws', () => {
    expect(renderInputTemplate('"<aws.pipes.pipe-name>"', record, { 'aws.pipes.pipe-name': 'p1' })).toBe('"p1"');
    expect(() => renderInputTemplate('"<$.dynamodb.NewImage.absent.S>"', record)).toThrow(/no \$\.dynamodb\.NewImage\.absent\.S/);
    expect(() => renderInputTemplate('"<aws.pipes.pipe-arn>"', record)).toThrow(/no local value/);
    expect(() => renderInputTemplate('"<$.dynamodb.Keys>"', record)).toThrow(/not a scalar/);
  });
});
