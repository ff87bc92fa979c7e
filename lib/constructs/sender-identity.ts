import { domainToASCII } from 'node:url';
import { CfnOutput, Fn, Stack, Token } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { PublicHostedZone } from 'aws-cdk-lib/aws-route53';
import { DkimIdentity, EmailIdentity, MailFromBehaviorOnMxFailure, type Identity } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

export interface SenderIdentityProps {
  /** The bare sender address (`ses:FromAddress`), already parsed. */
  readonly fromAddress: string;
  /**
   * Create the SES domain identity for this domain (Easy DKIM, 2048-bit). The sender must be on
   * it or on a subdomain of it. Without it, an identity verified outside the stack is used.
   */
  readonly domain?: string;
  /** A custom MAIL FROM domain, as the subdomain part: `mail` makes `mail.<domain>`. */
  readonly mailFromSubdomain?: string;
  /** The public hosted zone that holds `domain`: its DKIM and MAIL FROM records are created there. */
  readonly hostedZone?: { readonly hostedZoneId: string; readonly zoneName: string };
  /** An existing identity (domain or address) to send as, instead of creating one. */
  readonly identityArn?: string;
  /**
   * For an account still in the SES sandbox: the verified identities (addresses or domains) the
   * functions may mail, or `*` for any verified identity of the account.
   */
  readonly sandboxRecipients?: readonly string[];
  /** Skip the check that the sender can be verified at all (tests, `sam local`). */
  readonly allowUnverifiableSender?: boolean;
  /** The SES configuration set every send names: SES authorizes the send against it too. */
  readonly configurationSetArn?: string;
}

/** Domains reserved for documentation and testing (RFC 2606, RFC 6761): SES can never verify them. */
const RESERVED_DOMAINS = /(^|\.)(example\.(com|net|org)|example|test|invalid|localhost)$/;
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * The SES identity the functions send as, and the one IAM statement that lets them: SendEmail on
 * that identity only, and only as the configured sender (`ses:FromAddress`).
 *
 * Either the stack creates a domain identity (`domain`): Easy DKIM, an optional custom MAIL FROM
 * subdomain, and the DNS records in a Route 53 hosted zone when one is given, or else stack
 * outputs listing the records to create. Or it uses an identity verified outside the stack: the
 * one named by `identityArn`, or the sender's domain and address identities in this account and
 * region (SES authorises against whichever of the two is verified).
 *
 * In the SES sandbox, SES also authorises each send against the recipient's identity, so a policy
 * naming only the sender's identity gets AccessDenied there. `sandboxRecipients` adds exactly the
 * recipients' identities, under the same `ses:FromAddress` condition: the functions still cannot
 * send as anyone else.
 */
export class SenderIdentity extends Construct {
  readonly sendStatement: PolicyStatement;
  /** The identity the stack created, if it created one. */
  readonly emailIdentity?: EmailIdentity;
  /** True when the statement's resources include every identity of the account (sandbox `*`). */
  readonly grantsAnyRecipient: boolean;

  constructor(scope: Construct, id: string, props: SenderIdentityProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const identityArn = (name: string) => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: name });
    checkProps(props);

    let senderIdentities: string[];
    if (props.domain !== undefined) {
      // No reserved-domain check here: the stack creates this identity and its DNS records verify
      // it, which synth cannot see. That check is for identities that must already be verified.
      const domain = checkedDomain(props.domain, 'sesDomain');
      requireCovered(props.fromAddress, domain, `sesDomain=${domain}`);
      this.emailIdentity = this.createIdentity(domain, props);
      senderIdentities = [this.emailIdentity.emailIdentityArn];
    } else if (props.identityArn !== undefined) {
      if (!props.allowUnverifiableSender) refuseReserved(props.fromAddress);
      checkIdentityArn(props.identityArn, props.fromAddress);
      senderIdentities = [props.identityArn];
    } else {
      if (!props.allowUnverifiableSender) refuseReserved(props.fromAddress);
      const domain = props.fromAddress.slice(props.fromAddress.lastIndexOf('@') + 1);
      senderIdentities = [domain, props.fromAddress].map(identityArn);
    }

    const recipients = props.sandboxRecipients ?? [];
    this.grantsAnyRecipient = recipients.includes('*');
    const recipientIdentities = this.grantsAnyRecipient ? ['*'] : recipients.map((recipient) => checkedRecipient(recipient));
    new CfnOutput(stack, 'SesIdentityArns', {
      value: Fn.join(' ', senderIdentities),
      description: 'The SES identity the functions send as (verify it in this region before the first send)',
    }).overrideLogicalId('SesIdentityArns');

    this.sendStatement = new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['ses:SendEmail'],
      // SES authorizes a send against the sender, the recipients (in the sandbox) and the
      // configuration set it names.
      resources: [
        ...senderIdentities,
        ...recipientIdentities.map(identityArn),
        ...(props.configurationSetArn ? [props.configurationSetArn] : []),
      ],
      conditions: { StringEquals: { 'ses:FromAddress': props.fromAddress } },
    });
  }

  private createIdentity(domain: string, props: SenderIdentityProps): EmailIdentity {
    const mailFromDomain =
      props.mailFromSubdomain === undefined ? undefined : `${checkedSubdomain(props.mailFromSubdomain)}.${domain}`;
    let zone: PublicHostedZone | undefined;
    if (props.hostedZone) {
      const zoneName = checkedDomain(props.hostedZone.zoneName.replace(/\.$/, ''), 'hostedZoneName');
      if (domain !== zoneName && !domain.endsWith(`.${zoneName}`)) {
        throw new Error(`hostedZoneName=${zoneName} does not hold sesDomain=${domain}: give the zone of the domain or of a parent of it`);
      }
      if (!/^Z[A-Z0-9]{1,31}$/.test(props.hostedZone.hostedZoneId)) {
        throw new Error(`hostedZoneId=${props.hostedZone.hostedZoneId} is not a Route 53 hosted zone id (Z followed by letters and digits)`);
      }
      zone = PublicHostedZone.fromPublicHostedZoneAttributes(this, 'Zone', {
        hostedZoneId: props.hostedZone.hostedZoneId,
        zoneName,
      }) as PublicHostedZone;
    }
    // Identity.publicHostedZone() would verify the zone's own name; this verifies `domain` and
    // writes its records into the zone, which may be the domain's or a parent's.
    const identity: Identity = { value: domain, ...(zone ? { hostedZone: zone } : {}) };
    const emailIdentity = new EmailIdentity(this, 'Default', {
      identity,
      dkimIdentity: DkimIdentity.easyDkim(),
      dkimSigning: true,
      ...(mailFromDomain
        ? {
            mailFromDomain,
            // Until the MX record resolves, mail still goes out with amazonses.com as MAIL FROM.
            mailFromBehaviorOnMxFailure: MailFromBehaviorOnMxFailure.USE_DEFAULT_VALUE,
          }
        : {}),
    });
    if (!zone) this.outputDnsRecords(emailIdentity, mailFromDomain);
    return emailIdentity;
  }

  /** Without a hosted zone: the records to create at the DNS provider, one output each. */
  private outputDnsRecords(identity: EmailIdentity, mailFromDomain: string | undefined): void {
    const stack = Stack.of(this);
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(stack, id, { value, description }).overrideLogicalId(id);
    identity.dkimRecords.forEach((record, index) =>
      output(`SesDkimRecord${index + 1}`, Fn.join(' ', [record.name, 'CNAME', record.value]), 'Easy DKIM: create this CNAME record'),
    );
    if (mailFromDomain) {
      output(
        'SesMailFromMxRecord',
        `${mailFromDomain} MX 10 feedback-smtp.${stack.region}.amazonses.com`,
        'Custom MAIL FROM: create this MX record',
      );
      output('SesMailFromTxtRecord', `${mailFromDomain} TXT "v=spf1 include:amazonses.com ~all"`, 'Custom MAIL FROM: create this SPF record');
    }
  }
}

function checkProps(props: SenderIdentityProps): void {
  if (props.domain !== undefined && props.identityArn !== undefined) {
    throw new Error('sesDomain creates the SES identity and sesIdentityArn names an existing one: give only one of them');
  }
  if (props.domain === undefined) {
    for (const [name, value] of [
      ['sesMailFromSubdomain', props.mailFromSubdomain],
      ['hostedZoneId/hostedZoneName', props.hostedZone],
    ] as const) {
      if (value !== undefined) throw new Error(`${name} applies to the identity the stack creates: also give sesDomain`);
    }
  }
}

function checkedDomain(raw: string, name: string): string {
  const domain = domainToASCII(raw.trim());
  const labels = domain.split('.');
  if (domain === '' || labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label))) {
    throw new Error(`${name}=${raw} is not a domain name`);
  }
  return domain;
}

function checkedSubdomain(raw: string): string {
  const labels = raw.trim().toLowerCase().split('.');
  if (!labels.every((label) => DOMAIN_LABEL.test(label))) {
    throw new Error(`sesMailFromSubdomain=${raw} must be a subdomain part such as "mail" (it becomes mail.<sesDomain>)`);
  }
  return labels.join('.');
}

function checkedRecipient(raw: string): string {
  const recipient = raw.trim();
  if (recipient.includes('@')) {
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(recipient)) throw new Error(`sesSandboxRecipients: ${raw} is not an address or a domain`);
    return recipient;
  }
  return checkedDomain(recipient, 'sesSandboxRecipients');
}

/** The sender must be on `domain` or a subdomain of it, or SES refuses to send as it. */
function requireCovered(fromAddress: string, domain: string, what: string): void {
  const senderDomain = fromAddress.slice(fromAddress.lastIndexOf('@') + 1);
  if (senderDomain !== domain && !senderDomain.endsWith(`.${domain}`)) {
    throw new Error(`mailFrom ${fromAddress} is not on ${what}: SES sends only as a verified identity; use an address @${domain}`);
  }
}

function checkIdentityArn(arn: string, fromAddress: string): void {
  if (Token.isUnresolved(arn)) return;
  const match = /^arn:aws[a-z-]*:ses:[a-z0-9-]+:\d{12}:identity\/(.+)$/.exec(arn);
  if (!match) throw new Error(`sesIdentityArn=${arn} is not an SES identity ARN (arn:aws:ses:<region>:<account>:identity/<domain or address>)`);
  const identity = match[1]!.toLowerCase();
  if (identity.includes('@')) {
    if (identity !== fromAddress.toLowerCase()) {
      throw new Error(`mailFrom ${fromAddress} is not the address identity in sesIdentityArn (${identity}): SES would refuse to send as it`);
    }
    return;
  }
  requireCovered(fromAddress, identity, `the domain identity in sesIdentityArn (${identity})`);
}

/** A sender on a documentation domain can never be verified: every send would fail. */
function refuseReserved(fromAddress: string): void {
  const domain = fromAddress.slice(fromAddress.lastIndexOf('@') + 1);
  if (RESERVED_DOMAINS.test(domain)) {
    throw new Error(
      `mailFrom ${fromAddress} is on a reserved domain that SES can never verify, so every send would fail. ` +
        'Deploy with -c sesDomain=<your domain> (the stack creates the identity) or -c mailFrom=<an address on an SES identity ' +
        'verified in the target region>. For a synth that is not deployed (tests, sam local): -c allowUnverifiableSender=true.',
    );
  }
}
