// Package ui is shardcast's web console: the page at / for browsers, its
// assets under /ui/assets/, its login under /ui/api/, and the stand-alone
// player (/play/<stream>) and publishing (/publish/<stream>) pages.
//
// # Basics
//
// The console is plain HTML, CSS and JavaScript modules embedded in the
// binary (go:embed): nothing is built at run time and nothing is fetched
// from elsewhere; the page's Content-Security-Policy allows its own origin
// only. Its scripts call the same APIs as the SDKs and the CLI (the
// Kinesis, Firehose and Kinesis Analytics JSON targets at POST /, the
// Kinesis Video Streams REST paths, WHIP, WHEP, HLS and the admin
// endpoints) and so pass the same authentication and policy check: a login
// with a configured access key and its secret opens a console session
// (awsapi.Auth.ConsoleLogin) whose HttpOnly, SameSite=Strict cookie is
// taken as that key's credential, and whose CSRF token the scripts send
// with every request that changes something. With no credentials
// configured the console opens a session without asking.
//
// A hash router (app.js) loads each page's module when it is opened: the
// overview, a video stream (player, timeline, clips, ingest), the camera
// wall, publishing, a data stream, a delivery stream, a SQL application.
// The player is one module (player.js) used by the console and by
// /play/<stream>: WebRTC (WHEP) first, low-latency HLS (hls.js, served
// under /static/) when WebRTC brings no picture; publisher.js publishes
// the browser's camera over WHIP for the console and /publish/<stream>.
//
// # Caveats
//
// Sessions live in the server's memory: a restart logs everyone out. The
// console shows every button whatever the key's policy allows; a refused
// call shows the service's error. Reading a data stream's records from
// the console is GetRecords on every shard, which counts against the
// shards' read limits like any consumer's.
package ui
