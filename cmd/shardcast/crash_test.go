package main

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/aws/smithy-go"
)

// ackedRec is a record the server acknowledged.
type ackedRec struct{ shard, pk, data string }

// TestCrashKeepsAcknowledgedRecords kills the server with SIGKILL while
// many clients write, restarts it, and checks that every acknowledged record
// is there with its sequence number and that nothing stored is corrupt.
func TestCrashKeepsAcknowledgedRecords(t *testing.T) {
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))

	acked := map[string]ackedRec{} // sequence number -> record
	attempted := map[string]bool{} // every payload ever sent
	var mu sync.Mutex
	const rounds, writers = 5, 8

	for round := 0; round < rounds; round++ {
		p := startBinary(t, "--data-dir", dir)
		c := client(p.url, testCreds)
		if round == 0 {
			createStream(t, c, "crash", 4)
		}
		if round == 2 {
			// Later rounds write sealed records: recovery must handle both.
			if _, err := c.StartStreamEncryption(ctx, &kinesis.StartStreamEncryptionInput{StreamName: aws.String("crash"),
				EncryptionType: types.EncryptionTypeKms, KeyId: aws.String("alias/aws/kinesis")}); err != nil {
				t.Fatal(err)
			}
		}
		verify(t, c, acked, attempted)

		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					batch := 1 + (n*7+w)%60
					var entries []types.PutRecordsRequestEntry
					for i := 0; i < batch; i++ {
						data := fmt.Sprintf("round%d-writer%d-call%d-rec%d-%s", round, w, n, i, string(make([]byte, (n+i)%300)))
						entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprintf("pk-%d-%d", w, i)), Data: []byte(data)})
						mu.Lock()
						attempted[data] = true
						mu.Unlock()
					}
					out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("crash"), Records: entries})
					if err != nil {
						var ae smithy.APIError
						if errors.As(err, &ae) {
							t.Errorf("server refused a valid request: %v", err)
						}
						return // the server is gone
					}
					mu.Lock()
					for i, r := range out.Records {
						if r.ErrorCode != nil {
							t.Errorf("record failed: %s %s", *r.ErrorCode, *r.ErrorMessage)
							continue
						}
						acked[*r.SequenceNumber] = ackedRec{*r.ShardId, *entries[i].PartitionKey, string(entries[i].Data)}
					}
					mu.Unlock()
				}
			}(w)
		}
		time.Sleep(time.Duration(300+rng.IntN(1200)) * time.Millisecond)
		p.kill()
		close(stop)
		wg.Wait()
		t.Logf("round %d: %d records acknowledged so far", round, len(acked))
	}
	p := startBinary(t, "--data-dir", dir)
	verify(t, client(p.url, testCreds), acked, attempted)
	p.stop(t)
	if len(acked) < rounds*writers {
		t.Fatalf("only %d records were acknowledged: the test did not exercise the server", len(acked))
	}
}

// verify reads every shard and checks it against what was acknowledged.
func verify(t *testing.T, c *kinesis.Client, acked map[string]ackedRec, attempted map[string]bool) {
	t.Helper()
	shards, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("crash")})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range shards.Shards {
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("crash"), ShardId: s.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		last := ""
		for {
			gr, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range gr.Records {
				seq := *r.SequenceNumber
				if seq <= last {
					t.Fatalf("shard %s: sequence %s after %s", *s.ShardId, seq, last)
				}
				last = seq
				if !attempted[string(r.Data)] {
					t.Fatalf("shard %s holds a record nobody sent (corrupt): %q", *s.ShardId, r.Data)
				}
				if a, ok := acked[seq]; ok && (a.data != string(r.Data) || a.pk != *r.PartitionKey || a.shard != *s.ShardId) {
					t.Fatalf("sequence %s: acknowledged %+v, stored %q/%q in %s", seq, a, *r.PartitionKey, r.Data, *s.ShardId)
				}
				seen[seq] = true
			}
			if len(gr.Records) == 0 {
				break
			}
			iter = gr.NextShardIterator
		}
	}
	for seq, a := range acked {
		if !seen[seq] {
			t.Fatalf("acknowledged record %s (%s in %s) is lost", seq, a.pk, a.shard)
		}
	}
}

// TestCrashKeepsFragments kills the server with SIGKILL while an ffmpeg
// camera publishes, twice, and checks after each restart that every
// fragment ListFragments had shown is still there, unchanged, and that its
// media can be read.
func TestCrashKeepsFragments(t *testing.T) {
	dir := t.TempDir()
	const stream = "crashcam"
	seen := map[string]amtypes.Fragment{}
	for round := 0; round < 3; round++ {
		rtspAddr := freeTCPAddr(t)
		p := startBinary(t, "--data-dir", dir, "--rtsp", rtspAddr)
		kv := kvsClient(p.url)
		if round == 0 {
			if _, err := kv.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(stream), DataRetentionInHours: aws.Int32(24)}); err != nil {
				t.Fatal(err)
			}
		}
		archived := archivedClient(t, p.url, stream)
		listed := map[string]amtypes.Fragment{}
		for _, f := range listAll(t, archived, stream, amtypes.FragmentSelectorTypeServerTimestamp) {
			listed[*f.FragmentNumber] = f
		}
		for n, want := range seen {
			got, ok := listed[n]
			if !ok {
				t.Fatalf("round %d: fragment %s was listed before the crash and is gone", round, n)
			}
			if !got.ProducerTimestamp.Equal(*want.ProducerTimestamp) || !got.ServerTimestamp.Equal(*want.ServerTimestamp) ||
				got.FragmentSizeInBytes != want.FragmentSizeInBytes || got.FragmentLengthInMilliseconds != want.FragmentLengthInMilliseconds {
				t.Fatalf("round %d: fragment %s changed across the crash: %+v, was %+v", round, n, got, want)
			}
		}
		if len(seen) > 0 {
			// The media of the fragments from before the crash reads back.
			var some []string
			for n := range seen {
				if some = append(some, n); len(some) == 4 {
					break
				}
			}
			out, err := archived.GetMediaForFragmentList(ctx, &kinesisvideoarchivedmedia.GetMediaForFragmentListInput{StreamName: aws.String(stream), Fragments: some})
			if err != nil {
				t.Fatalf("round %d: GetMediaForFragmentList: %v", round, err)
			}
			chunks := readChunks(t, out.Payload)
			if len(chunks) != len(some) {
				t.Fatalf("round %d: %d chunks for %d fragments", round, len(chunks), len(some))
			}
		}
		if round == 2 {
			p.stop(t)
			break
		}
		cam := ffmpegCamera(t, "rtsp://"+rtspAddr+"/"+stream, 60, "tcp", "h264")
		cam.Stdout, cam.Stderr = io.Discard, io.Discard
		if err := cam.Start(); err != nil {
			t.Fatal(err)
		}
		// Collect what ListFragments shows while the camera runs, then crash.
		before := len(seen)
		deadline := time.Now().Add(60 * time.Second)
		for len(seen) < before+4 {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: only %d new fragments were listed", round, len(seen)-before)
			}
			time.Sleep(300 * time.Millisecond)
			for _, f := range listAll(t, archived, stream, amtypes.FragmentSelectorTypeServerTimestamp) {
				seen[*f.FragmentNumber] = f
			}
		}
		p.kill()
		cam.Process.Kill()
		cam.Wait()
		t.Logf("round %d: %d fragments listed before the crash", round, len(seen))
	}
}
