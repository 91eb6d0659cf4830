package audit

import "strings"

// DataPlane reports whether action is one of the record and media reads
// and writes, the calls made at volume that are audited only when denied
// (CloudTrail keeps such data events apart from management events too).
// IAM action names are case-insensitive, and so is this.
//
// The table: kinesis:PutRecord, PutRecords, GetRecords, GetShardIterator,
// SubscribeToShard; firehose:PutRecord, PutRecordBatch; dynamodb:GetItem,
// PutItem, UpdateItem, DeleteItem, Scan, Query (a lease table's owners
// renew every few seconds) and the batch, transaction and PartiQL item
// calls, which shardcast refuses as unsupported;
// kinesisvideo:PutMedia, GetMedia, GetMediaForFragmentList, GetClip,
// GetImages, ListFragments, and the fetches of HLS and DASH sessions
// (GetHLSMasterPlaylist, GetHLSMediaPlaylist, GetMP4InitFragment,
// GetMP4MediaFragment, GetTSFragment, GetDASHManifestPlaylist). The
// plain HLS, player, WHEP and RTSP reads are authorized as
// kinesisvideo:GetMedia and RTSP and WHIP publishes as
// kinesisvideo:PutMedia, so they are data-plane too. Getting a session
// URL (GetHLSStreamingSessionURL, GetDASHStreamingSessionURL) hands out a
// credential and is audited.
func DataPlane(action string) bool {
	switch strings.ToLower(action) {
	case "kinesis:putrecord",
		"kinesis:putrecords",
		"kinesis:getrecords",
		"kinesis:getsharditerator",
		"kinesis:subscribetoshard",

		"firehose:putrecord",
		"firehose:putrecordbatch",

		"dynamodb:getitem",
		"dynamodb:putitem",
		"dynamodb:updateitem",
		"dynamodb:deleteitem",
		"dynamodb:scan",
		"dynamodb:query",
		"dynamodb:batchgetitem",
		"dynamodb:batchwriteitem",
		"dynamodb:transactgetitems",
		"dynamodb:transactwriteitems",
		"dynamodb:executestatement",
		"dynamodb:batchexecutestatement",
		"dynamodb:executetransaction",

		"kinesisvideo:putmedia",
		"kinesisvideo:getmedia",
		"kinesisvideo:getmediaforfragmentlist",
		"kinesisvideo:getclip",
		"kinesisvideo:getimages",
		"kinesisvideo:listfragments",
		"kinesisvideo:gethlsmasterplaylist",
		"kinesisvideo:gethlsmediaplaylist",
		"kinesisvideo:getmp4initfragment",
		"kinesisvideo:getmp4mediafragment",
		"kinesisvideo:gettsfragment",
		"kinesisvideo:getdashmanifestplaylist":
		return true
	}
	return false
}

// Audited reports whether a call with this action and result belongs in
// the log: every denied call; every admin ("shardcast:...") and sts
// action; every control-plane action; data-plane actions (DataPlane)
// only when denied.
func Audited(action, result string) bool {
	if result == Denied {
		return true
	}
	return !DataPlane(action)
}
