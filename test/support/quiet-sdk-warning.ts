/**
 * jest setupFiles: on a Node older than 22 the AWS SDK warns, once per process, that its releases
 * after January 2027 need Node 22. The tests run on the project's pinned Node 24, where the SDK
 * says nothing; a run started on an older Node by hand would otherwise print it in every file.
 * This turns off that one warning (the SDK's own switch for it) and nothing else: errors and any
 * other warning still print.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export {};
