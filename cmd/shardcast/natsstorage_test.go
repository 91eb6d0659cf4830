package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/index"
)

// TestEncryptionAtRestJetStream is TestEncryptionAtRest on the JetStream
// store: with encryption on, no message of any shard stream holds a
// payload, a partition key or the stream's data key, and the bucket holds
// the data key only wrapped.
func TestEncryptionAtRestJetStream(t *testing.T) {
	dir := t.TempDir()
	p := startBinary(t, "--data-dir", dir, "--storage", "nats")
	c := client(p.url, testCreds)
	createStream(t, c, "vault", 2)
	if _, err := c.StartStreamEncryption(ctx, &kinesis.StartStreamEncryptionInput{StreamName: aws.String("vault"),
		EncryptionType: types.EncryptionTypeKms, KeyId: aws.String("alias/aws/kinesis")}); err != nil {
		t.Fatal(err)
	}
	payload := []byte("TOP-SECRET-PAYLOAD-7f3a")
	pk := "CONFIDENTIAL-PARTITION-KEY"
	for i := 0; i < 10; i++ {
		var entries []types.PutRecordsRequestEntry
		for j := 0; j < 20; j++ {
			entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprintf("%s-%d", pk, j)), Data: append(append([]byte(nil), payload...), byte(j))})
		}
		if _, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("vault"), Records: entries}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(readAll(t, c, "vault")); n != 200 {
		t.Fatalf("read back %d records", n)
	}
	p.stop(t)

	nc, err := nats.Connect(natsURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	prefix := natsPrefix(dir)
	kv, err := js.KeyValue(ctx, prefix+"_meta")
	if err != nil {
		t.Fatal(err)
	}
	// Unwrap the data key as the server does, to look for it too.
	kr, err := envelope.OpenStored(func() ([]byte, error) {
		e, err := kv.Get(ctx, "keyring")
		if err != nil {
			return nil, err
		}
		return e.Value(), nil
	}, func([]byte) error { return fmt.Errorf("the test does not write the keyring") })
	if err != nil {
		t.Fatal(err)
	}
	def, err := kv.Get(ctx, "def.data.vault")
	if err != nil {
		t.Fatal(err)
	}
	var meta index.Stream
	if err := json.Unmarshal(def.Value(), &meta); err != nil || len(meta.DataKeys) != 1 {
		t.Fatalf("definition %s: %v", def.Value(), err)
	}
	dataKey, _, err := kr.Decrypt(meta.DataKeys[0].Wrapped)
	if err != nil {
		t.Fatal(err)
	}
	secrets := [][]byte{payload, []byte(pk), dataKey}
	msgs := 0
	streams := js.ListStreams(ctx)
	for info := range streams.Info() {
		if !strings.HasPrefix(info.Config.Name, prefix+"_log_") {
			continue
		}
		s, err := js.Stream(ctx, info.Config.Name)
		if err != nil {
			t.Fatal(err)
		}
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
			m, err := s.GetMsg(ctx, seq)
			if err != nil {
				t.Fatalf("%s message %d: %v", info.Config.Name, seq, err)
			}
			msgs++
			all := bytes.Clone(m.Data)
			for k, v := range m.Header {
				all = append(all, k...)
				all = append(all, strings.Join(v, ",")...)
			}
			for _, s := range secrets {
				if bytes.Contains(all, s) {
					t.Fatalf("%s message %d holds plaintext %q", info.Config.Name, seq, s)
				}
			}
		}
	}
	if err := streams.Err(); err != nil {
		t.Fatal(err)
	}
	if msgs != 200 {
		t.Fatalf("%d messages in the shard streams, want 200", msgs)
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for k := range keys.Keys() {
		e, err := kv.Get(ctx, k)
		if err != nil {
			continue
		}
		for _, s := range secrets {
			if bytes.Contains(e.Value(), s) {
				t.Fatalf("bucket key %s holds plaintext %q", k, s)
			}
		}
	}
}
