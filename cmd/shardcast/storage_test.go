package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/index"
)

// filesContaining lists the files under dir that contain any needle.
func filesContaining(t *testing.T, dir string, needles ...[]byte) []string {
	t.Helper()
	var hits []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range needles {
			if bytes.Contains(b, n) {
				hits = append(hits, p)
				break
			}
		}
		return nil
	})
	return hits
}

func readAll(t *testing.T, c *kinesis.Client, stream string) []types.Record {
	t.Helper()
	shards, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	var out []types.Record
	for _, s := range shards.Shards {
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: s.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		for {
			gr, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatal(err)
			}
			if len(gr.Records) == 0 {
				break
			}
			out = append(out, gr.Records...)
			iter = gr.NextShardIterator
		}
	}
	return out
}

// TestEncryptionAtRest writes through the binary with encryption on and
// checks that no payload, partition key or plaintext data key is in any
// file under the data directory.
func TestEncryptionAtRest(t *testing.T) {
	dir := t.TempDir()
	p := startBinary(t, "--data-dir", dir, "--storage", "file")
	c := client(p.url, testCreds)
	createStream(t, c, "vault", 2)
	if _, err := c.StartStreamEncryption(ctx, &kinesis.StartStreamEncryptionInput{StreamName: aws.String("vault"),
		EncryptionType: types.EncryptionTypeKms, KeyId: aws.String("alias/aws/kinesis")}); err != nil {
		t.Fatal(err)
	}
	payload := []byte("TOP-SECRET-PAYLOAD-7f3a")
	pk := "CONFIDENTIAL-PARTITION-KEY"
	for i := 0; i < 50; i++ {
		var entries []types.PutRecordsRequestEntry
		for j := 0; j < 20; j++ {
			entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprintf("%s-%d", pk, j)), Data: append(append([]byte(nil), payload...), byte(j))})
		}
		if _, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("vault"), Records: entries}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(readAll(t, c, "vault")); n != 1000 {
		t.Fatalf("read back %d records", n)
	}
	p.stop(t)

	// Unwrap the stream's data key with the keyring, as the server does, to
	// look for its plaintext too.
	kr, err := envelope.OpenFile(filepath.Join(dir, "keyring.json"))
	if err != nil {
		t.Fatal(err)
	}
	manifests, _ := filepath.Glob(filepath.Join(dir, "streams", "data", "*.json"))
	if len(manifests) != 1 {
		t.Fatalf("manifests: %v", manifests)
	}
	var meta index.Stream
	b, _ := os.ReadFile(manifests[0])
	json.Unmarshal(b, &meta)
	if len(meta.DataKeys) != 1 {
		t.Fatalf("data keys in manifest: %+v", meta.DataKeys)
	}
	dataKey, _, err := kr.Decrypt(meta.DataKeys[0].Wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if hits := filesContaining(t, dir, payload, []byte(pk), dataKey); len(hits) > 0 {
		t.Fatalf("plaintext found on disk in %v", hits)
	}
	if st, _ := os.Stat(filepath.Join(dir, "keyring.json")); st.Mode().Perm() != 0o600 {
		t.Fatalf("keyring mode %v", st.Mode().Perm())
	}
}

// TestCatalogRebuild deletes the bbolt catalog and restarts: streams, their
// settings and their records come back from the stream directories.
func TestCatalogRebuild(t *testing.T) {
	cfg := fileConfig(t)
	srv := startServer(t, cfg)
	c := client(srv.URL(), testCreds)
	createStream(t, c, "a", 2)
	createStream(t, c, "b", 1)
	c.AddTagsToStream(ctx, &kinesis.AddTagsToStreamInput{StreamName: aws.String("a"), Tags: map[string]string{"owner": "ml"}})
	c.IncreaseStreamRetentionPeriod(ctx, &kinesis.IncreaseStreamRetentionPeriodInput{StreamName: aws.String("b"), RetentionPeriodHours: aws.Int32(100)})
	c.StartStreamEncryption(ctx, &kinesis.StartStreamEncryptionInput{StreamName: aws.String("a"), EncryptionType: types.EncryptionTypeKms, KeyId: aws.String("alias/aws/kinesis")})
	for i := 0; i < 40; i++ {
		c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String([]string{"a", "b"}[i%2]), PartitionKey: aws.String(fmt.Sprint(i)), Data: []byte(fmt.Sprint("data-", i))})
	}
	srv.Close()
	if err := os.Remove(filepath.Join(cfg.DataDir, "catalog.db")); err != nil {
		t.Fatal(err)
	}

	srv = startServer(t, cfg)
	c = client(srv.URL(), testCreds)
	ls, _ := c.ListStreams(ctx, &kinesis.ListStreamsInput{})
	if strings.Join(ls.StreamNames, ",") != "a,b" {
		t.Fatalf("streams after rebuild: %v", ls.StreamNames)
	}
	tags, _ := c.ListTagsForStream(ctx, &kinesis.ListTagsForStreamInput{StreamName: aws.String("a")})
	da, _ := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("a")})
	db, _ := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("b")})
	if len(tags.Tags) != 1 || da.StreamDescriptionSummary.EncryptionType != types.EncryptionTypeKms || *db.StreamDescriptionSummary.RetentionPeriodHours != 100 {
		t.Fatalf("settings after rebuild: %v %v %v", tags.Tags, da.StreamDescriptionSummary.EncryptionType, *db.StreamDescriptionSummary.RetentionPeriodHours)
	}
	if n := len(readAll(t, c, "a")) + len(readAll(t, c, "b")); n != 40 {
		t.Fatalf("records after rebuild: %d", n)
	}
	// The catalog file holds them again, and the time index of every
	// segment holding records was rebuilt by scanning.
	all, err := srv.catalog.Streams(index.KindData, "", 0)
	if err != nil || len(all) != 2 {
		t.Fatalf("catalog after rebuild: %d %v", len(all), err)
	}
	if logs := srv.catalog.SegmentLogs(); len(logs) != 3 {
		t.Fatalf("time index after rebuild: %v", logs)
	}
}

// TestMasterKeyRotation rotates the default master key through the admin
// endpoint: data keys are re-wrapped, records are not rewritten, and
// everything stays readable across a restart.
func TestMasterKeyRotation(t *testing.T) {
	cfg := fileConfig(t)
	srv := startServer(t, cfg)
	c := client(srv.URL(), testCreds)
	createStream(t, c, "rot", 1)
	c.StartStreamEncryption(ctx, &kinesis.StartStreamEncryptionInput{StreamName: aws.String("rot"), EncryptionType: types.EncryptionTypeKms, KeyId: aws.String("alias/aws/kinesis")})
	c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("rot"), PartitionKey: aws.String("k"), Data: []byte("sealed before rotation")})
	manifest := func() index.Stream {
		m, _ := filepath.Glob(filepath.Join(cfg.DataDir, "streams", "data", "*.json"))
		var s index.Stream
		b, _ := os.ReadFile(m[0])
		json.Unmarshal(b, &s)
		return s
	}
	segsBefore := segmentBytes(t, cfg.DataDir)
	wrappedBefore := manifest().DataKeys[0].Wrapped

	req, _ := http.NewRequest("POST", srv.URL()+"/admin/rotate-master-key?key=alias/aws/kinesis", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"DataKeysRewrapped": 1`) {
		t.Fatalf("rotate: %d %s", resp.StatusCode, body)
	}
	if bytes.Equal(manifest().DataKeys[0].Wrapped, wrappedBefore) {
		t.Fatal("data key was not re-wrapped")
	}
	if !bytes.Equal(segmentBytes(t, cfg.DataDir), segsBefore) {
		t.Fatal("rotation rewrote stored records")
	}
	c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("rot"), PartitionKey: aws.String("k"), Data: []byte("sealed after rotation")})
	srv.Close()
	srv = startServer(t, cfg)
	recs := readAll(t, client(srv.URL(), testCreds), "rot")
	if len(recs) != 2 || string(recs[0].Data) != "sealed before rotation" || string(recs[1].Data) != "sealed after rotation" {
		t.Fatalf("after rotation and restart: %v", recs)
	}
}

// segmentBytes concatenates every closed segment file, to see whether
// stored records changed.
func segmentBytes(t *testing.T, dir string) []byte {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "kinesis", "*", "*", "*.seg"))
	var all []byte
	for _, p := range m {
		b, _ := os.ReadFile(p)
		all = append(all, b...)
	}
	return all
}

func TestMemoryStorage(t *testing.T) {
	cfg := fileConfig(t)
	cfg.Storage = "memory"
	srv := startServer(t, cfg)
	c := client(srv.URL(), testCreds)
	createStream(t, c, "mem", 2)
	c.StartStreamEncryption(ctx, &kinesis.StartStreamEncryptionInput{StreamName: aws.String("mem"), EncryptionType: types.EncryptionTypeKms, KeyId: aws.String("alias/aws/kinesis")})
	for i := 0; i < 10; i++ {
		if _, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("mem"), PartitionKey: aws.String(fmt.Sprint(i)), Data: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(readAll(t, c, "mem")); n != 10 {
		t.Fatalf("read %d", n)
	}
	if entries, _ := os.ReadDir(cfg.DataDir); len(entries) != 0 {
		t.Fatalf("memory storage wrote files: %v", entries)
	}
}
