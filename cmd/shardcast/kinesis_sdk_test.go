package main

import (
	"context"
	"crypto/md5"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

var ctx = context.Background()

func createStream(t testing.TB, c *kinesis.Client, name string, shards int32) {
	t.Helper()
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(shards)}); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
}

// shardOf computes, independently of the server, which of n even shards a
// partition key hashes to.
func shardOf(pk string, n int) int {
	sum := md5.Sum([]byte(pk))
	h := new(big.Int).SetBytes(sum[:])
	step := new(big.Int).Div(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(int64(n)))
	i := int(new(big.Int).Div(h, step).Int64())
	return min(i, n-1)
}

func TestSDKStreamLifecycle(t *testing.T) {
	cfg := testConfig(t)
	cfg.Kinesis.ShardLimit = 20
	srv := startServer(t, cfg)
	c := client(srv.URL(), testCreds)

	createStream(t, c, "orders", 3)
	_, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("orders"), ShardCount: aws.Int32(1)})
	wantErr(t, err, "ResourceInUseException", "Stream orders under account 000000000000 already exists.")
	_, err = c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("bad name!"), ShardCount: aws.Int32(0)})
	wantErr(t, err, "ValidationException", "2 validation errors detected: Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1; Value 'bad name!' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
	_, err = c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("huge"), ShardCount: aws.Int32(100)})
	wantErr(t, err, "LimitExceededException", "")
	// Neither ShardCount nor mode: an on-demand stream of four shards.
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("auto")}); err != nil {
		t.Fatal(err)
	}

	d, err := c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	sd := d.StreamDescription
	if *sd.StreamARN != "arn:aws:kinesis:us-east-1:000000000000:stream/orders" || sd.StreamStatus != types.StreamStatusActive ||
		*sd.RetentionPeriodHours != 24 || sd.EncryptionType != types.EncryptionTypeNone || len(sd.Shards) != 3 || *sd.HasMoreShards {
		t.Fatalf("describe: %+v", sd)
	}
	wantRanges := [][2]string{
		{"0", "113427455640312821154458202477256070484"},
		{"113427455640312821154458202477256070485", "226854911280625642308916404954512140969"},
		{"226854911280625642308916404954512140970", "340282366920938463463374607431768211455"},
	}
	for i, s := range sd.Shards {
		if *s.ShardId != fmt.Sprintf("shardId-%012d", i) || *s.HashKeyRange.StartingHashKey != wantRanges[i][0] ||
			*s.HashKeyRange.EndingHashKey != wantRanges[i][1] || len(*s.SequenceNumberRange.StartingSequenceNumber) != 56 {
			t.Fatalf("shard %d: %+v", i, s)
		}
	}
	d, _ = c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamARN: sd.StreamARN, Limit: aws.Int32(2), ExclusiveStartShardId: aws.String("shardId-000000000000")})
	if len(d.StreamDescription.Shards) != 2 || *d.StreamDescription.Shards[0].ShardId != "shardId-000000000001" || *d.StreamDescription.HasMoreShards {
		t.Fatalf("describe page: %+v", d.StreamDescription.Shards)
	}
	d, _ = c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("orders"), Limit: aws.Int32(1)})
	if len(d.StreamDescription.Shards) != 1 || !*d.StreamDescription.HasMoreShards {
		t.Fatal("describe with Limit 1 must report more shards")
	}
	_, err = c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("nope")})
	wantErr(t, err, "ResourceNotFoundException", "Stream nope under account 000000000000 not found.")

	sum, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("auto")})
	if err != nil {
		t.Fatal(err)
	}
	if s := sum.StreamDescriptionSummary; *s.OpenShardCount != 4 || s.StreamModeDetails.StreamMode != types.StreamModeOnDemand {
		t.Fatalf("summary of the on-demand stream: %+v", s)
	}

	for i := 0; i < 3; i++ {
		createStream(t, c, fmt.Sprintf("page-%d", i), 1)
	}
	var names []string
	p := kinesis.NewListStreamsPaginator(c, &kinesis.ListStreamsInput{Limit: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.StreamNames) != len(out.StreamSummaries) {
			t.Fatal("StreamNames and StreamSummaries differ")
		}
		names = append(names, out.StreamNames...)
	}
	if strings.Join(names, ",") != "auto,orders,page-0,page-1,page-2" {
		t.Fatalf("paginated list: %v", names)
	}
	ls, _ := c.ListStreams(ctx, &kinesis.ListStreamsInput{ExclusiveStartStreamName: aws.String("page-0")})
	if strings.Join(ls.StreamNames, ",") != "page-1,page-2" || *ls.HasMoreStreams {
		t.Fatalf("list after page-0: %v", ls.StreamNames)
	}

	lim, err := c.DescribeLimits(ctx, &kinesis.DescribeLimitsInput{})
	if err != nil || *lim.ShardLimit != 20 || *lim.OpenShardCount != 3+4+3 || *lim.OnDemandStreamCount != 1 || *lim.OnDemandStreamCountLimit != 50 {
		t.Fatalf("limits: %+v %v", lim, err)
	}

	if _, err := c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("page-1")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("page-1")})
	wantErr(t, err, "ResourceNotFoundException", "")
	_, err = c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("page-1")})
	wantErr(t, err, "ResourceNotFoundException", "Stream page-1 under account 000000000000 not found.")
	// The name is free again.
	createStream(t, c, "page-1", 2)

	_, err = c.EnableEnhancedMonitoring(ctx, &kinesis.EnableEnhancedMonitoringInput{StreamName: aws.String("orders"), ShardLevelMetrics: []types.MetricsName{types.MetricsNameAll}})
	wantErr(t, err, "UnsupportedOperationException", "EnableEnhancedMonitoring is not supported by shardcast yet; see the compatibility table in the README.")
}

func TestSDKListShards(t *testing.T) {
	srv := startServer(t, testConfig(t))
	c := client(srv.URL(), testCreds)
	createStream(t, c, "s", 5)
	var ids []string
	in := &kinesis.ListShardsInput{StreamName: aws.String("s"), MaxResults: aws.Int32(2)}
	for {
		out, err := c.ListShards(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.Shards {
			ids = append(ids, *s.ShardId)
		}
		if out.NextToken == nil {
			break
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken, MaxResults: aws.Int32(2)}
	}
	if len(ids) != 5 || ids[4] != "shardId-000000000004" {
		t.Fatalf("paged shards %v", ids)
	}
	first, _ := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("s"), MaxResults: aws.Int32(2)})
	_, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("s"), NextToken: first.NextToken})
	wantErr(t, err, "InvalidArgumentException", "NextToken and StreamName cannot be provided together.")
	_, err = c.ListShards(ctx, &kinesis.ListShardsInput{NextToken: aws.String(*first.NextToken + "x")})
	wantErr(t, err, "InvalidArgumentException", "")
	_, err = c.ListShards(ctx, &kinesis.ListShardsInput{})
	wantErr(t, err, "InvalidArgumentException", "Either NextToken or StreamName should be provided.")
	out, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("s"),
		ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeAfterShardId, ShardId: aws.String("shardId-000000000002")}})
	if err != nil || len(out.Shards) != 2 {
		t.Fatalf("AFTER_SHARD_ID: %v %v", out, err)
	}
	out, err = c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("s"), ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeAtLatest}})
	if err != nil || len(out.Shards) != 5 {
		t.Fatalf("AT_LATEST: %v %v", out, err)
	}
	out, err = c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("s"), ExclusiveStartShardId: aws.String("shardId-000000000003")})
	if err != nil || len(out.Shards) != 1 {
		t.Fatalf("ExclusiveStartShardId: %v %v", out, err)
	}
}

func TestSDKPutGet(t *testing.T) {
	srv := startServer(t, testConfig(t))
	c := client(srv.URL(), testCreds)
	createStream(t, c, "events", 3)

	// PutRecord routes by MD5 of the partition key.
	seqs := map[string]string{}
	for i := 0; i < 30; i++ {
		pk := fmt.Sprintf("key-%d", i)
		out, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("events"), PartitionKey: aws.String(pk), Data: []byte("v" + pk)})
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("shardId-%012d", shardOf(pk, 3)); *out.ShardId != want {
			t.Fatalf("%s went to %s, want %s", pk, *out.ShardId, want)
		}
		if len(*out.SequenceNumber) != 56 || out.EncryptionType != "" {
			t.Fatalf("put answer %+v", out)
		}
		seqs[pk] = *out.SequenceNumber
	}
	// An explicit hash key overrides the partition key.
	out, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("events"), PartitionKey: aws.String("key-0"),
		ExplicitHashKey: aws.String("340282366920938463463374607431768211455"), Data: []byte("last")})
	if err != nil || *out.ShardId != "shardId-000000000002" {
		t.Fatalf("explicit hash key: %v %v", out, err)
	}
	_, err = c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("events"), PartitionKey: aws.String("k"),
		ExplicitHashKey: aws.String("340282366920938463463374607431768211456"), Data: []byte("x")})
	wantErr(t, err, "InvalidArgumentException", "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was 340282366920938463463374607431768211456")
	_, err = c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("events"), PartitionKey: aws.String(""), Data: []byte("x")})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value '' at 'partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1")
	_, err = c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("events"), PartitionKey: aws.String(strings.Repeat("p", 257)), Data: []byte("x")})
	wantErr(t, err, "ValidationException", "")
	_, err = c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("events"), PartitionKey: aws.String("k"), Data: make([]byte, 1<<20+1)})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1048577 cap=1048577]' at 'data' failed to satisfy constraint: Member must have length less than or equal to 1048575")
	_, err = c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("missing"), PartitionKey: aws.String("k"), Data: []byte("x")})
	wantErr(t, err, "ResourceNotFoundException", "Stream missing under account 000000000000 not found.")
	_, err = c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("events"), PartitionKey: aws.String("k"), Data: []byte("x"), SequenceNumberForOrdering: aws.String("123456789012345678901234567890123456789012345")})
	wantErr(t, err, "InvalidArgumentException", "ExclusiveMinimumSequenceNumber 123456789012345678901234567890123456789012345 used in PutRecord on stream events under account 000000000000 is invalid.")
	if _, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("events"), PartitionKey: aws.String("key-1"), Data: []byte("ordered"), SequenceNumberForOrdering: aws.String(seqs["key-1"])}); err != nil {
		t.Fatal(err)
	}

	// PutRecords: 500 records, answers in request order.
	var entries []types.PutRecordsRequestEntry
	for i := 0; i < 500; i++ {
		entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprintf("batch-%d", i)), Data: []byte(fmt.Sprintf("payload-%d", i))})
	}
	pr, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("events"), Records: entries})
	if err != nil || *pr.FailedRecordCount != 0 || len(pr.Records) != 500 {
		t.Fatalf("put records: %v %v", pr, err)
	}
	for i, r := range pr.Records {
		if want := fmt.Sprintf("shardId-%012d", shardOf(fmt.Sprintf("batch-%d", i), 3)); *r.ShardId != want {
			t.Fatalf("entry %d in %s, want %s", i, *r.ShardId, want)
		}
		seqs[fmt.Sprintf("batch-%d", i)] = *r.SequenceNumber
	}
	_, err = c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("events"), Records: append(entries, entries[0])})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value '[501 PutRecordsRequestEntry]' at 'records' failed to satisfy constraint: Member must have length less than or equal to 500")
	_, err = c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("events"), Records: []types.PutRecordsRequestEntry{{PartitionKey: aws.String("a"), Data: make([]byte, 1<<20+5)}}})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1048581 cap=1048581]' at 'records.1.member.data' failed to satisfy constraint: Member must have length less than or equal to 1048575")

	// Read every shard from TRIM_HORIZON and find every record once.
	found := map[string]string{}
	for shard := 0; shard < 3; shard++ {
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("events"),
			ShardId: aws.String(fmt.Sprintf("shardId-%012d", shard)), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		prev := ""
		for {
			gr, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(37)})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range gr.Records {
				if prev != "" && *r.SequenceNumber <= prev {
					t.Fatalf("sequence numbers not increasing in shard %d", shard)
				}
				prev = *r.SequenceNumber
				if time.Since(*r.ApproximateArrivalTimestamp) > time.Minute || r.EncryptionType != "" {
					t.Fatalf("record %+v", r)
				}
				found[*r.SequenceNumber] = *r.PartitionKey + "=" + string(r.Data)
			}
			if len(gr.Records) == 0 {
				if *gr.MillisBehindLatest != 0 {
					t.Fatalf("caught up but MillisBehindLatest %d", *gr.MillisBehindLatest)
				}
				break
			}
			if *gr.NextShardIterator == *iter {
				t.Fatal("NextShardIterator did not change")
			}
			iter = gr.NextShardIterator
		}
	}
	for pk, seq := range seqs {
		got := found[seq]
		if !strings.HasPrefix(got, pk+"=") {
			t.Fatalf("record %s (%s) read back as %q", pk, seq, got)
		}
		if strings.HasPrefix(pk, "batch-") && got != pk+"=payload-"+strings.TrimPrefix(pk, "batch-") {
			t.Fatalf("%s read back as %q", pk, got)
		}
	}
	if len(found) != 30+1+1+500 {
		t.Fatalf("read %d records, want %d", len(found), 532)
	}
}

func TestSDKIterators(t *testing.T) {
	cfg := testConfig(t)
	cfg.Kinesis.IteratorTTL = time.Second
	srv := startServer(t, cfg)
	c := client(srv.URL(), testCreds)
	createStream(t, c, "it", 2)
	put := func(data string) *kinesis.PutRecordOutput {
		out, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("it"), PartitionKey: aws.String("p"), ExplicitHashKey: aws.String("0"), Data: []byte(data)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := put("one")
	second := put("two")
	get := func(in *kinesis.GetShardIteratorInput) []string {
		t.Helper()
		in.StreamName, in.ShardId = aws.String("it"), aws.String("shardId-000000000000")
		it, err := c.GetShardIterator(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		gr, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range gr.Records {
			out = append(out, string(r.Data))
		}
		return out
	}
	if got := get(&kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: first.SequenceNumber}); fmt.Sprint(got) != "[one two]" {
		t.Fatalf("AT_SEQUENCE_NUMBER: %v", got)
	}
	if got := get(&kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAfterSequenceNumber, StartingSequenceNumber: first.SequenceNumber}); fmt.Sprint(got) != "[two]" {
		t.Fatalf("AFTER_SEQUENCE_NUMBER: %v", got)
	}
	// LATEST sees only what comes after it.
	time.Sleep(20 * time.Millisecond) // arrival times are compared at millisecond precision
	mark := time.Now()
	latest, _ := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("it"), ShardId: aws.String("0"), ShardIteratorType: types.ShardIteratorTypeLatest})
	put("three")
	gr, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: latest.ShardIterator})
	if err != nil || len(gr.Records) != 1 || string(gr.Records[0].Data) != "three" {
		t.Fatalf("LATEST: %v %v", gr, err)
	}
	if got := get(&kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(mark.Add(-time.Millisecond))}); fmt.Sprint(got) != "[three]" {
		t.Fatalf("AT_TIMESTAMP: %v", got)
	}
	_ = second

	// Errors.
	base := func() *kinesis.GetShardIteratorInput {
		return &kinesis.GetShardIteratorInput{StreamName: aws.String("it"), ShardId: aws.String("shardId-000000000000")}
	}
	in := base()
	in.ShardIteratorType = types.ShardIteratorTypeAtSequenceNumber
	_, err = c.GetShardIterator(ctx, in)
	wantErr(t, err, "InvalidArgumentException", "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber.")
	in = base()
	in.ShardIteratorType, in.StartingSequenceNumber = types.ShardIteratorTypeLatest, first.SequenceNumber
	_, err = c.GetShardIterator(ctx, in)
	wantErr(t, err, "InvalidArgumentException", "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified LATEST and also a StartingSequenceNumber.")
	in = base()
	in.ShardId, in.ShardIteratorType, in.StartingSequenceNumber = aws.String("shardId-000000000001"), types.ShardIteratorTypeAtSequenceNumber, first.SequenceNumber
	_, err = c.GetShardIterator(ctx, in)
	wantErr(t, err, "InvalidArgumentException", "Invalid StartingSequenceNumber. It encodes shardId-000000000000, while it was used in a call to a shard with shardId-000000000001")
	in = base()
	in.ShardIteratorType, in.Timestamp = types.ShardIteratorTypeAtTimestamp, aws.Time(time.Now().Add(time.Hour))
	_, err = c.GetShardIterator(ctx, in)
	wantErr(t, err, "InvalidArgumentException", "")
	in = base()
	in.ShardIteratorType = types.ShardIteratorTypeAtTimestamp
	_, err = c.GetShardIterator(ctx, in)
	wantErr(t, err, "InvalidArgumentException", "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.")
	in = base()
	in.ShardId, in.ShardIteratorType = aws.String("shardId-000000000007"), types.ShardIteratorTypeLatest
	_, err = c.GetShardIterator(ctx, in)
	wantErr(t, err, "ResourceNotFoundException", "Shard shardId-000000000007 in stream it under account 000000000000 does not exist")
	in = base()
	in.ShardIteratorType = "SOMEWHERE"
	_, err = c.GetShardIterator(ctx, in)
	wantErr(t, err, "ValidationException", "1 validation error detected: Value 'SOMEWHERE' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]")

	// A tampered iterator is refused; an old one has expired.
	it, _ := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("it"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	raw := []byte(*it.ShardIterator)
	raw[20] ^= 1
	_, err = c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(string(raw))})
	wantErr(t, err, "InvalidArgumentException", "Invalid ShardIterator.")
	// So is one spelled differently but decoding to the same bytes: CR/LF
	// inserted, or the unused low bits of the last character set.
	respelled := []string{(*it.ShardIterator)[:8] + "\r\n" + (*it.ShardIterator)[8:]}
	for _, name := range []string{"it1", "it12"} { // iterators whose last character has unused bits
		createStream(t, c, name, 1)
		other, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(name), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		s := strings.TrimRight(*other.ShardIterator, "=")
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		last := strings.IndexByte(alphabet, s[len(s)-1])
		if len(s)%4 == 0 || last < 0 {
			t.Fatalf("iterator %q has no unused bits", *other.ShardIterator)
		}
		respelled = append(respelled, s[:len(s)-1]+string(alphabet[last^1])+(*other.ShardIterator)[len(s):])
	}
	for _, bad := range respelled {
		_, err = c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(bad)})
		wantErr(t, err, "InvalidArgumentException", "Invalid ShardIterator.")
	}
	// AWS accepts an iterator wrapped in quotes, as a shell may leave it.
	if _, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(`"` + *it.ShardIterator + `"`)}); err != nil {
		t.Fatalf("quoted iterator: %v", err)
	}
	time.Sleep(2100 * time.Millisecond) // the test server's iterators live one second
	_, err = c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	code, msg := apiErr(t, err)
	if code != "ExpiredIteratorException" || !strings.HasPrefix(msg, "Iterator expired. The iterator was created at time ") ||
		!strings.HasSuffix(msg, "which is further in the future than the tolerated delay of 1000 milliseconds.") {
		t.Fatalf("expired iterator: %s %s", code, msg)
	}
	// After the stream is deleted its iterators find nothing.
	it, _ = c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("it"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("it")})
	_, err = c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	wantErr(t, err, "ResourceNotFoundException", "Shard shardId-000000000000 in stream it under account 000000000000 does not exist")
}

func TestSDKRetentionAndTags(t *testing.T) {
	srv := startServer(t, testConfig(t))
	c := client(srv.URL(), testCreds)
	createStream(t, c, "r", 1)
	name := aws.String("r")
	if _, err := c.IncreaseStreamRetentionPeriod(ctx, &kinesis.IncreaseStreamRetentionPeriodInput{StreamName: name, RetentionPeriodHours: aws.Int32(168)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.IncreaseStreamRetentionPeriod(ctx, &kinesis.IncreaseStreamRetentionPeriodInput{StreamName: name, RetentionPeriodHours: aws.Int32(48)})
	wantErr(t, err, "InvalidArgumentException", "Requested retention period (48 hours) for stream r can not be shorter than existing retention period (168 hours). Use DecreaseRetentionPeriod API.")
	_, err = c.IncreaseStreamRetentionPeriod(ctx, &kinesis.IncreaseStreamRetentionPeriodInput{StreamName: name, RetentionPeriodHours: aws.Int32(8761)})
	wantErr(t, err, "InvalidArgumentException", "Maximum allowed retention period is 8760 hours. Requested retention period (8761 hours) is too long.")
	_, err = c.DecreaseStreamRetentionPeriod(ctx, &kinesis.DecreaseStreamRetentionPeriodInput{StreamName: name, RetentionPeriodHours: aws.Int32(23)})
	wantErr(t, err, "InvalidArgumentException", "Minimum allowed retention period is 24 hours. Requested retention period (23 hours) is too short.")
	_, err = c.DecreaseStreamRetentionPeriod(ctx, &kinesis.DecreaseStreamRetentionPeriodInput{StreamName: name, RetentionPeriodHours: aws.Int32(200)})
	wantErr(t, err, "InvalidArgumentException", "Requested retention period (200 hours) for stream r can not be longer than existing retention period (168 hours). Use IncreaseRetentionPeriod API.")
	if _, err := c.DecreaseStreamRetentionPeriod(ctx, &kinesis.DecreaseStreamRetentionPeriodInput{StreamName: name, RetentionPeriodHours: aws.Int32(72)}); err != nil {
		t.Fatal(err)
	}
	d, _ := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: name})
	if *d.StreamDescriptionSummary.RetentionPeriodHours != 72 {
		t.Fatalf("retention %d", *d.StreamDescriptionSummary.RetentionPeriodHours)
	}
	_, err = c.DecreaseStreamRetentionPeriod(ctx, &kinesis.DecreaseStreamRetentionPeriodInput{StreamName: aws.String("gone"), RetentionPeriodHours: aws.Int32(24)})
	wantErr(t, err, "ResourceNotFoundException", "")

	tags := map[string]string{}
	for i := 0; i < 12; i++ {
		tags[fmt.Sprintf("k%02d", i)] = fmt.Sprintf("v%d", i)
	}
	if _, err := c.AddTagsToStream(ctx, &kinesis.AddTagsToStreamInput{StreamName: name, Tags: tags}); err != nil {
		t.Fatal(err)
	}
	lt, err := c.ListTagsForStream(ctx, &kinesis.ListTagsForStreamInput{StreamName: name, Limit: aws.Int32(5), ExclusiveStartTagKey: aws.String("k03")})
	if err != nil || len(lt.Tags) != 5 || *lt.Tags[0].Key != "k04" || *lt.Tags[0].Value != "v4" || !*lt.HasMoreTags {
		t.Fatalf("list tags page: %+v %v", lt, err)
	}
	if _, err := c.RemoveTagsFromStream(ctx, &kinesis.RemoveTagsFromStreamInput{StreamName: name, TagKeys: []string{"k00", "k01", "absent"}}); err != nil {
		t.Fatal(err)
	}
	lt, _ = c.ListTagsForStream(ctx, &kinesis.ListTagsForStreamInput{StreamName: name})
	if len(lt.Tags) != 10 || *lt.HasMoreTags {
		t.Fatalf("after remove: %d tags", len(lt.Tags))
	}
	_, err = c.AddTagsToStream(ctx, &kinesis.AddTagsToStreamInput{StreamName: name, Tags: map[string]string{"bad\tkey": "v"}})
	wantErr(t, err, "InvalidArgumentException", "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @ :.")
	many := map[string]string{}
	for i := 0; i < 41; i++ {
		many[fmt.Sprintf("m%d", i)] = ""
	}
	_, err = c.AddTagsToStream(ctx, &kinesis.AddTagsToStreamInput{StreamName: name, Tags: many})
	wantErr(t, err, "InvalidArgumentException", "Failed to add tags to stream r under account 000000000000 because a given stream cannot have more than 50 tags associated with it.")
	_, err = c.AddTagsToStream(ctx, &kinesis.AddTagsToStreamInput{StreamName: name, Tags: map[string]string{}})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value '{}' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1")

	// The resource-tag operations act on the same tags, by ARN.
	arn := aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/r")
	if _, err := c.TagResource(ctx, &kinesis.TagResourceInput{ResourceARN: arn, Tags: map[string]string{"team": "video"}}); err != nil {
		t.Fatal(err)
	}
	rt, err := c.ListTagsForResource(ctx, &kinesis.ListTagsForResourceInput{ResourceARN: arn})
	if err != nil || len(rt.Tags) != 11 {
		t.Fatalf("tags by resource: %v %v", rt, err)
	}
	if _, err := c.UntagResource(ctx, &kinesis.UntagResourceInput{ResourceARN: arn, TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	// Tags and retention survive a restart.
	srv.Close()
	cfg := srv.cfg
	srv2 := startServer(t, cfg)
	c = client(srv2.URL(), testCreds)
	lt, _ = c.ListTagsForStream(ctx, &kinesis.ListTagsForStreamInput{StreamName: name})
	d, _ = c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: name})
	if len(lt.Tags) != 10 || *d.StreamDescriptionSummary.RetentionPeriodHours != 72 {
		t.Fatalf("after restart: %d tags, %d hours", len(lt.Tags), *d.StreamDescriptionSummary.RetentionPeriodHours)
	}
}

func TestSDKEncryption(t *testing.T) {
	srv := startServer(t, testConfig(t))
	c := client(srv.URL(), testCreds)
	createStream(t, c, "secret", 1)
	name := aws.String("secret")
	put := func(data string) *kinesis.PutRecordOutput {
		out, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: name, PartitionKey: aws.String("pk"), Data: []byte(data)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	put("before")
	_, err := c.StartStreamEncryption(ctx, &kinesis.StartStreamEncryptionInput{StreamName: name, EncryptionType: types.EncryptionTypeKms, KeyId: aws.String("alias/missing")})
	wantErr(t, err, "KMSNotFoundException", "Alias arn:aws:kms:us-east-1:000000000000:alias/missing is not found.")
	_, err = c.StartStreamEncryption(ctx, &kinesis.StartStreamEncryptionInput{StreamName: name, EncryptionType: types.EncryptionTypeNone, KeyId: aws.String("alias/aws/kinesis")})
	wantErr(t, err, "InvalidArgumentException", "")
	if _, err := c.StartStreamEncryption(ctx, &kinesis.StartStreamEncryptionInput{StreamName: name, EncryptionType: types.EncryptionTypeKms, KeyId: aws.String("alias/aws/kinesis")}); err != nil {
		t.Fatal(err)
	}
	if out := put("during"); out.EncryptionType != types.EncryptionTypeKms {
		t.Fatalf("put on an encrypted stream answered EncryptionType %q", out.EncryptionType)
	}
	d, _ := c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: name})
	if d.StreamDescription.EncryptionType != types.EncryptionTypeKms || *d.StreamDescription.KeyId != "alias/aws/kinesis" {
		t.Fatalf("describe: %s %v", d.StreamDescription.EncryptionType, d.StreamDescription.KeyId)
	}
	if _, err := c.StopStreamEncryption(ctx, &kinesis.StopStreamEncryptionInput{StreamName: name, EncryptionType: types.EncryptionTypeKms, KeyId: aws.String("alias/aws/kinesis")}); err != nil {
		t.Fatal(err)
	}
	put("after")
	it, _ := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: name, ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	gr, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(gr.Records) != 3 {
		t.Fatalf("get: %v %v", gr, err)
	}
	want := []struct {
		data string
		enc  types.EncryptionType
	}{{"before", ""}, {"during", types.EncryptionTypeKms}, {"after", ""}}
	for i, r := range gr.Records {
		if string(r.Data) != want[i].data || r.EncryptionType != want[i].enc {
			t.Fatalf("record %d: %q %q, want %+v", i, r.Data, r.EncryptionType, want[i])
		}
	}
}

func TestSDKSignatureVerification(t *testing.T) {
	cfg := testConfig(t)
	cfg.Auth.AccessKeyID, cfg.Auth.SecretAccessKey = testCreds.AccessKeyID, testCreds.SecretAccessKey
	srv := startServer(t, cfg)
	createStream(t, client(srv.URL(), testCreds), "signed", 1)
	_, err := client(srv.URL(), aws.Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: "wrong"}).ListStreams(ctx, &kinesis.ListStreamsInput{})
	wantErr(t, err, "InvalidSignatureException", "")
	_, err = client(srv.URL(), aws.Credentials{AccessKeyID: "AKIDOTHER", SecretAccessKey: "x"}).ListStreams(ctx, &kinesis.ListStreamsInput{})
	wantErr(t, err, "UnrecognizedClientException", "The security token included in the request is invalid.")
	out, err := client(srv.URL(), testCreds).PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("signed"),
		Records: []types.PutRecordsRequestEntry{{PartitionKey: aws.String("a"), Data: []byte("signed payload")}}})
	if err != nil || *out.FailedRecordCount != 0 {
		t.Fatalf("signed put: %v %v", out, err)
	}
}

// TestSDKDryRun checks that DryRun requests are checked in full and change
// nothing.
func TestSDKDryRun(t *testing.T) {
	srv := startServer(t, testConfig(t))
	c := client(srv.URL(), testCreds)
	createStream(t, c, "dry", 1)
	name := aws.String("dry")
	_, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: name, PartitionKey: aws.String("k"), Data: []byte("x"), DryRun: aws.Bool(true)})
	wantErr(t, err, "DryRunOperationException", "Request would have succeeded, but DryRun flag is set.")
	_, err = c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: name, Records: []types.PutRecordsRequestEntry{{PartitionKey: aws.String("k"), Data: []byte("x")}}, DryRun: aws.Bool(true)})
	wantErr(t, err, "DryRunOperationException", "")
	// A dry run that would fail fails as the real call would.
	_, err = c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("nope"), PartitionKey: aws.String("k"), Data: []byte("x"), DryRun: aws.Bool(true)})
	wantErr(t, err, "ResourceNotFoundException", "")
	_, err = c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: name, Records: []types.PutRecordsRequestEntry{{PartitionKey: aws.String("k"), Data: make([]byte, 1<<20+1)}}, DryRun: aws.Bool(true)})
	wantErr(t, err, "ValidationException", "")
	_, err = c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: name, ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon, DryRun: aws.Bool(true)})
	wantErr(t, err, "DryRunOperationException", "")
	it, _ := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: name, ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	_, err = c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator, DryRun: aws.Bool(true)})
	wantErr(t, err, "DryRunOperationException", "")
	_, err = c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String("bogus"), DryRun: aws.Bool(true)})
	wantErr(t, err, "InvalidArgumentException", "Invalid ShardIterator.")
	// Nothing was written.
	gr, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(gr.Records) != 0 {
		t.Fatalf("dry runs wrote records: %v %v", gr, err)
	}
}
