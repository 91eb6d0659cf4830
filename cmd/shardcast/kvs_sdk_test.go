package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
)

func TestKVSControlPlane(t *testing.T) {
	srv := startServer(t, testConfig(t))
	c := kvsClient(srv.URL())

	out, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("front-door"), DeviceName: aws.String("cam-1"),
		MediaType: aws.String("video/h264,audio/aac"), DataRetentionInHours: aws.Int32(48), Tags: map[string]string{"site": "hq"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*out.StreamARN, "arn:aws:kinesisvideo:us-east-1:000000000000:stream/front-door/") {
		t.Fatalf("ARN %s", *out.StreamARN)
	}
	_, err = c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("front-door")})
	wantErr(t, err, "ResourceInUseException", "The stream front-door already exists.")
	_, err = c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("bad name")})
	wantErr(t, err, "InvalidArgumentException", "1 validation error detected: Value 'bad name' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
	_, err = c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("x"), MediaType: aws.String("nonsense")})
	wantErr(t, err, "InvalidArgumentException", "")
	_, err = c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("x"), KmsKeyId: aws.String("alias/missing")})
	wantErr(t, err, "InvalidArgumentException", "KMS key alias/missing is not found.")

	d, err := c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamARN: out.StreamARN})
	if err != nil {
		t.Fatal(err)
	}
	info := d.StreamInfo
	if *info.StreamName != "front-door" || *info.DeviceName != "cam-1" || *info.MediaType != "video/h264,audio/aac" || *info.DataRetentionInHours != 48 ||
		info.Status != kvtypes.StatusActive || !strings.HasSuffix(*info.KmsKeyId, "alias/aws/kinesisvideo") || *info.Version == "" {
		t.Fatalf("describe: %+v", info)
	}
	_, err = c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("missing")})
	wantErr(t, err, "ResourceNotFoundException", "The requested stream is not found or not active.")
	_, err = c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{})
	wantErr(t, err, "InvalidArgumentException", "")

	// Versions guard updates.
	_, err = c.UpdateStream(ctx, &kinesisvideo.UpdateStreamInput{StreamName: aws.String("front-door"), CurrentVersion: aws.String("999"), DeviceName: aws.String("cam-2")})
	wantErr(t, err, "VersionMismatchException", "")
	if _, err := c.UpdateStream(ctx, &kinesisvideo.UpdateStreamInput{StreamName: aws.String("front-door"), CurrentVersion: info.Version, DeviceName: aws.String("cam-2")}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("front-door")})
	if *d.StreamInfo.DeviceName != "cam-2" || *d.StreamInfo.Version == *info.Version {
		t.Fatalf("after update: %+v", d.StreamInfo)
	}
	v := d.StreamInfo.Version
	if _, err := c.UpdateDataRetention(ctx, &kinesisvideo.UpdateDataRetentionInput{StreamName: aws.String("front-door"), CurrentVersion: v,
		Operation: kvtypes.UpdateDataRetentionOperationDecreaseDataRetention, DataRetentionChangeInHours: aws.Int32(24)}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("front-door")})
	if *d.StreamInfo.DataRetentionInHours != 24 {
		t.Fatalf("retention %d", *d.StreamInfo.DataRetentionInHours)
	}
	_, err = c.UpdateDataRetention(ctx, &kinesisvideo.UpdateDataRetentionInput{StreamName: aws.String("front-door"), CurrentVersion: d.StreamInfo.Version,
		Operation: kvtypes.UpdateDataRetentionOperationDecreaseDataRetention, DataRetentionChangeInHours: aws.Int32(25)})
	wantErr(t, err, "InvalidArgumentException", "The resulting data retention -1 hours is outside 0 to 87600 hours.")

	// Data endpoints point back here for every API.
	for _, api := range []kvtypes.APIName{kvtypes.APINamePutMedia, kvtypes.APINameGetMedia, kvtypes.APINameListFragments, kvtypes.APINameGetHlsStreamingSessionUrl} {
		ep, err := c.GetDataEndpoint(ctx, &kinesisvideo.GetDataEndpointInput{StreamName: aws.String("front-door"), APIName: api})
		if err != nil || *ep.DataEndpoint != srv.URL() {
			t.Fatalf("GetDataEndpoint %s: %v %v", api, ep, err)
		}
	}

	// Tags, by stream and by resource ARN.
	if _, err := c.TagStream(ctx, &kinesisvideo.TagStreamInput{StreamName: aws.String("front-door"), Tags: map[string]string{"floor": "1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagResource(ctx, &kinesisvideo.TagResourceInput{ResourceARN: out.StreamARN, Tags: []kvtypes.Tag{{Key: aws.String("owner"), Value: aws.String("ops")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagStream(ctx, &kinesisvideo.UntagStreamInput{StreamARN: out.StreamARN, TagKeyList: []string{"site"}}); err != nil {
		t.Fatal(err)
	}
	lt, err := c.ListTagsForStream(ctx, &kinesisvideo.ListTagsForStreamInput{StreamName: aws.String("front-door")})
	if err != nil || len(lt.Tags) != 2 || lt.Tags["floor"] != "1" || lt.Tags["owner"] != "ops" {
		t.Fatalf("tags: %v %v", lt.Tags, err)
	}
	if _, err := c.UntagResource(ctx, &kinesisvideo.UntagResourceInput{ResourceARN: out.StreamARN, TagKeyList: []string{"owner"}}); err != nil {
		t.Fatal(err)
	}
	rt, _ := c.ListTagsForResource(ctx, &kinesisvideo.ListTagsForResourceInput{ResourceARN: out.StreamARN})
	if len(rt.Tags) != 1 {
		t.Fatalf("resource tags %v", rt.Tags)
	}
	many := map[string]string{}
	for i := 0; i < 50; i++ {
		many[fmt.Sprint("k", i)] = "v"
	}
	_, err = c.TagStream(ctx, &kinesisvideo.TagStreamInput{StreamName: aws.String("front-door"), Tags: many})
	wantErr(t, err, "TagsPerResourceExceededLimitException", "")

	// Listing: prefix condition and pagination.
	for _, n := range []string{"back-door", "garage", "garden"} {
		if _, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	p := kinesisvideo.NewListStreamsPaginator(c, &kinesisvideo.ListStreamsInput{MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.StreamInfoList {
			names = append(names, *s.StreamName)
		}
	}
	if strings.Join(names, ",") != "back-door,front-door,garage,garden" {
		t.Fatalf("paged list: %v", names)
	}
	ls, _ := c.ListStreams(ctx, &kinesisvideo.ListStreamsInput{StreamNameCondition: &kvtypes.StreamNameCondition{
		ComparisonOperator: kvtypes.ComparisonOperatorBeginsWith, ComparisonValue: aws.String("gar")}})
	if len(ls.StreamInfoList) != 2 {
		t.Fatalf("BEGINS_WITH gar: %d streams", len(ls.StreamInfoList))
	}

	// ListFragments of a stream without media, and its errors.
	am := archivedClient(t, srv.URL(), "garage")
	lf, err := am.ListFragments(ctx, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("garage"),
		FragmentSelector: &amtypes.FragmentSelector{FragmentSelectorType: amtypes.FragmentSelectorTypeServerTimestamp,
			TimestampRange: &amtypes.TimestampRange{StartTimestamp: aws.Time(aTime(0)), EndTimestamp: aws.Time(aTime(1e9))}}})
	if err != nil || len(lf.Fragments) != 0 || lf.NextToken != nil {
		t.Fatalf("empty stream: %v %v", lf, err)
	}
	_, err = am.ListFragments(ctx, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("garage")})
	wantErr(t, err, "InvalidArgumentException", "FragmentSelector is required when NextToken is not given.")
	_, err = am.ListFragments(ctx, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("nope"),
		FragmentSelector: &amtypes.FragmentSelector{FragmentSelectorType: amtypes.FragmentSelectorTypeServerTimestamp,
			TimestampRange: &amtypes.TimestampRange{StartTimestamp: aws.Time(aTime(0)), EndTimestamp: aws.Time(aTime(1))}}})
	wantErr(t, err, "ResourceNotFoundException", "")

	// Deletion: by ARN, guarded by the version.
	d, _ = c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("garage")})
	_, err = c.DeleteStream(ctx, &kinesisvideo.DeleteStreamInput{StreamARN: d.StreamInfo.StreamARN, CurrentVersion: aws.String("0")})
	wantErr(t, err, "VersionMismatchException", "")
	if _, err := c.DeleteStream(ctx, &kinesisvideo.DeleteStreamInput{StreamARN: d.StreamInfo.StreamARN, CurrentVersion: d.StreamInfo.Version}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("garage")})
	wantErr(t, err, "ResourceNotFoundException", "")
	// Only front-door keeps its video in the store; the others buffer
	// retention-0 video in memory.
	if logs, err := srv.videoStore.Logs(ctx); err != nil || len(logs) != 1 {
		t.Fatalf("stream logs left: %v, want front-door's (%v)", logs, err)
	}
	_, err = c.CreateSignalingChannel(ctx, &kinesisvideo.CreateSignalingChannelInput{ChannelName: aws.String("ch")})
	wantErr(t, err, "UnsupportedOperationException", "")

	// Definitions survive a restart.
	srv.Close()
	srv = startServer(t, srv.cfg)
	d, err = kvsClient(srv.URL()).DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("front-door")})
	if err != nil || *d.StreamInfo.DeviceName != "cam-2" || *d.StreamInfo.DataRetentionInHours != 24 {
		t.Fatalf("after restart: %+v %v", d, err)
	}
}
