/**
 * jest setupFiles: on a Node older than 22 the AWS SDK warns, once per process, that its releases
 * after January 2027 need Node 22. The project needs 22.22.2 or later and CI tests on Node 24,
 * where the SDK says nothing; on an older machine that warning would be noise in every test run.
 * This turns off that one warning (the SDK's own switch for it) and nothing else: errors and any
 * other warning still print.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export {};
