// The AWS SDK's NodeVersionSupportWarning (Node < 22: its releases after January 2027 need Node 22) is
// printed once per process, so once per Jest worker module registry: 11 copies in a test log. The README
// ("CLI", Node versions) says it once; bin/eventlake.js disables it the same way.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
