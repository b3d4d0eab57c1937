// Package strictjson holds the JSON pieces that spikegrad's file readers
// and writers share where encoding/json alone is too lenient or not
// byte-exact: reading an object key by key while rejecting duplicate keys
// (encoding/json keeps the last), end-of-input errors that say so instead of
// "EOF", and appending a JSON string with the minimal escapes of RFC 8259
// (encoding/json also escapes <, > and &, which would change the bytes of
// existing files).
//
// The safetensors codec uses it for its header and runs for metrics.jsonl.
package strictjson
