/**
 * jest setupFiles: the AWS SDK warns, once per process, that its releases after January 2027
 * need Node 22. On the project's Node 20 that is noise in every test run. This silences that one
 * warning and nothing else.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export {};
