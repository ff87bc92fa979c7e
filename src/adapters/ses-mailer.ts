import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import type { Mailer, OutgoingMail } from '../domain/ports.js';
import type { TimeBudget } from '../domain/time-budget.js';
import { boundedCall } from './bounded-call.js';

export class SesMailer implements Mailer {
  constructor(
    private readonly client: SESClient,
    private readonly from: string,
  ) {}

  async send(mail: OutgoingMail, budget?: TimeBudget): Promise<void> {
    const command = new SendEmailCommand({
      Source: this.from,
      Destination: { ToAddresses: [mail.to] },
      Message: {
        Subject: { Data: mail.subject, Charset: 'UTF-8' },
        Body: {
          Text: { Data: mail.text, Charset: 'UTF-8' },
          Html: { Data: mail.html, Charset: 'UTF-8' },
        },
      },
    });
    await boundedCall('ses', 'SES SendEmail', budget, (abortSignal) => this.client.send(command, { abortSignal }));
  }
}
