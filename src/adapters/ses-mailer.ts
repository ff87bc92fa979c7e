import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import type { Mailer, OutgoingMail } from '../domain/ports.js';
import { senderMailbox, type Sender } from '../domain/sender.js';

export class SesMailer implements Mailer {
  /** `Source` as SES requires it: a non-ASCII display name as RFC 2047 encoded-words. */
  private readonly source: string;

  /**
   * `configurationSet`: the SES configuration set every mail is sent with (suppression of
   * bounced and complaining addresses, delivery events to CloudWatch); unset locally.
   */
  constructor(
    private readonly client: SESClient,
    sender: Sender,
    private readonly configurationSet?: string,
  ) {
    this.source = senderMailbox(sender);
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.client.send(
      new SendEmailCommand({
        Source: this.source,
        ...(this.configurationSet ? { ConfigurationSetName: this.configurationSet } : {}),
        Destination: { ToAddresses: [mail.to] },
        Message: {
          Subject: { Data: mail.subject, Charset: 'UTF-8' },
          Body: {
            Text: { Data: mail.text, Charset: 'UTF-8' },
            Html: { Data: mail.html, Charset: 'UTF-8' },
          },
        },
      }),
    );
  }
}
