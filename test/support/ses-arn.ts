/**
 * An SES resource ARN as a synthesized template writes it (`Fn::Join` over the partition, region
 * and account), ending in `resource`: e.g. `':identity/example.com'`, or `':configuration-set/'`
 * followed by a `Ref`.
 */
export function sesArn(...resource: unknown[]) {
  return {
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ...resource]],
  };
}
