// Package ui is shardcast's web console: the page at / for browsers, its
// assets under /ui/assets/, its login under /ui/api/, and the stand-alone
// player (/play/<stream>) and publishing (/publish/<stream>) pages.
//
// The console is plain HTML, CSS and JavaScript modules embedded in the
// binary (go:embed): nothing is built at run time and nothing is fetched
// from elsewhere. Its scripts call the same APIs as the SDKs and the CLI
// (the Kinesis, Firehose and Kinesis Analytics JSON targets at POST /, the
// Kinesis Video Streams REST paths, WHIP, WHEP, HLS and the admin
// endpoints) and so pass the same authentication and policy check: a login
// with a configured access key and its secret opens a console session
// (awsapi.Auth.ConsoleLogin) whose HttpOnly, SameSite=Strict cookie is
// taken as that key's credential, and whose CSRF token the scripts send
// with every request that changes something. With no credentials
// configured the console opens a session without asking.
//
// The player is one script (player.js) used by the console and by
// /play/<stream>: WebRTC (WHEP) first, low-latency HLS (hls.js, served
// under /static/) when WebRTC brings no picture; publisher.js publishes
// the browser's camera over WHIP for the console and /publish/<stream>.
package ui
