package audit

import "testing"

func TestAudited(t *testing.T) {
	for _, c := range []struct {
		action, result string
		want           bool
	}{
		// Control plane: always.
		{"kinesis:CreateStream", Allowed, true},
		{"kinesis:DeleteStream", Failed, true},
		{"kinesis:ListShards", Allowed, true},
		{"kinesis:DescribeStream", Denied, true},
		{"firehose:CreateDeliveryStream", Allowed, true},
		{"kinesisvideo:CreateStream", Allowed, true},
		{"kinesisvideo:GetDataEndpoint", Allowed, true},
		{"kinesisvideo:GetHLSStreamingSessionURL", Allowed, true},
		{"kinesisvideo:GetDASHStreamingSessionURL", Allowed, true},
		{"kinesisanalytics:CreateApplication", Allowed, true},
		// Admin and STS: always.
		{"shardcast:AdminRotateMasterKey", Allowed, true},
		{"shardcast:GET /admin/streams", Allowed, true},
		{"sts:AssumeRole", Allowed, true},
		{"sts:GetSessionToken", Failed, true},
		{"sts:GetCallerIdentity", Allowed, true},
		// Data plane: only when denied.
		{"kinesis:PutRecord", Allowed, false},
		{"kinesis:PutRecords", Failed, false},
		{"kinesis:PutRecords", Denied, true},
		{"kinesis:GetRecords", Allowed, false},
		{"kinesis:GetShardIterator", Allowed, false},
		{"kinesis:SubscribeToShard", Allowed, false},
		{"kinesis:SubscribeToShard", Denied, true},
		{"firehose:PutRecord", Allowed, false},
		{"firehose:PutRecordBatch", Allowed, false},
		{"firehose:PutRecordBatch", Denied, true},
		{"dynamodb:UpdateItem", Allowed, false},
		{"dynamodb:UpdateItem", Failed, false},
		{"dynamodb:GetItem", Denied, true},
		{"dynamodb:Scan", Allowed, false},
		{"dynamodb:Query", Allowed, false},
		{"dynamodb:CreateTable", Allowed, true},
		{"dynamodb:UpdateTable", Allowed, true},
		{"kinesisvideo:PutMedia", Allowed, false},
		{"kinesisvideo:PutMedia", Denied, true},
		{"kinesisvideo:GetMedia", Allowed, false},
		{"kinesisvideo:GetMedia", Denied, true},
		{"kinesisvideo:GetMediaForFragmentList", Allowed, false},
		{"kinesisvideo:GetClip", Allowed, false},
		{"kinesisvideo:GetImages", Allowed, false},
		{"kinesisvideo:ListFragments", Allowed, false},
		{"kinesisvideo:GetHLSMasterPlaylist", Allowed, false},
		{"kinesisvideo:GetHLSMediaPlaylist", Allowed, false},
		{"kinesisvideo:GetMP4InitFragment", Allowed, false},
		{"kinesisvideo:GetMP4MediaFragment", Failed, false},
		{"kinesisvideo:GetTSFragment", Allowed, false},
		{"kinesisvideo:GetDASHManifestPlaylist", Allowed, false},
		{"kinesisvideo:GetDASHManifestPlaylist", Denied, true},
		// IAM action names are case-insensitive.
		{"Kinesis:putrecord", Allowed, false},
		{"KINESISVIDEO:GETMEDIA", Allowed, false},
		// Same operation name, another service: not the data-plane one.
		{"kinesisvideo:PutRecord", Allowed, true},
		{"", Allowed, true},
	} {
		if got := Audited(c.action, c.result); got != c.want {
			t.Errorf("Audited(%q, %q) = %v, want %v", c.action, c.result, got, c.want)
		}
	}
}
