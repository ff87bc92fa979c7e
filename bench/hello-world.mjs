// The hello-world handler the cold init of each bundle is compared with.
export const handler = async () => ({ statusCode: 200, body: 'hello' });
