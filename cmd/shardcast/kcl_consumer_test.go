package main

import (
	"bufio"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shardcast/shardcast/datastreams/consumer"
)

// The consumer library (datastreams/consumer) against one in-process
// shardcast serving both Kinesis and the DynamoDB API that holds the lease
// table: balance, failover with no record lost, resharding followed
// parents first, and restart from checkpoints, by polling and by enhanced
// fan-out; a worker process killed with SIGKILL; an AT_TIMESTAMP start.

func TestKCLBalanceFailoverPolling(t *testing.T) { t.Parallel(); kclBalanceFailover(t, false) }
func TestKCLBalanceFailoverEFO(t *testing.T)     { t.Parallel(); kclBalanceFailover(t, true) }

// kclBalanceFailover: 3 workers share 8 shards within one of even; one
// crashes (no release) and its leases move to the others once they expire;
// one stops cleanly and its leases move at once; no record is lost.
func kclBalanceFailover(t *testing.T, efo bool) {
	h := newKCLHarness(t, 8, efo)
	p := h.startPutter()
	w1, w2, w3 := h.startWorker("w1", false), h.startWorker("w2", false), h.startWorker("w3", false)
	took := kclWait(t, "3 workers within one of even over 8 shards", time.Minute, func() bool {
		return evenWithin1(leaseCounts(w1, w2, w3), 8)
	})
	t.Logf("balanced %v after %v", leaseCounts(w1, w2, w3), took)
	// Several taker rounds later it is still (or, on a loaded machine
	// where a renewal came late and a lease moved, again) balanced.
	time.Sleep(2 * kclFailover)
	kclWait(t, "the balance to hold", time.Minute, func() bool { return evenWithin1(leaseCounts(w1, w2, w3), 8) })

	w3.crash()
	took = kclWait(t, "the crashed worker's leases to move", time.Minute, func() bool {
		return evenWithin1(leaseCounts(w1, w2), 8)
	})
	t.Logf("after a crash: %v in %v (failover time %v)", leaseCounts(w1, w2), took, kclFailover)

	w2.stop(t)
	took = kclWait(t, "the stopped worker's leases to move", time.Minute, func() bool {
		return len(w1.w.Leases()) == 8
	})
	t.Logf("after a clean stop: w1 holds 8 in %v", took)

	p.stop()
	h.waitAllCommitted(p)
	w1.stop(t)
	h.col.check(t)
}

func TestKCLReshardRestartPolling(t *testing.T) { t.Parallel(); kclReshardRestart(t, false) }
func TestKCLReshardRestartEFO(t *testing.T)     { t.Parallel(); kclReshardRestart(t, true) }

// kclReshardRestart: a split and a merge while two workers read are
// followed parents first; the workers stop with their last batch not
// checkpointed, and new workers resume exactly from the checkpoints.
func kclReshardRestart(t *testing.T, efo bool) {
	h := newKCLHarness(t, 2, efo)
	p := h.startPutter()
	w1, w2 := h.startWorker("w1", true), h.startWorker("w2", true)
	kclWait(t, "both shards read", time.Minute, func() bool { return h.col.hasEvents("rec:shardId-000000000000", "rec:shardId-000000000001") })

	// Split shard 0 at the middle of its range, then merge its upper child
	// with shard 1.
	half := new(big.Int).Lsh(big.NewInt(1), 126)
	if _, err := h.kc.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(h.stream), ShardToSplit: aws.String("shardId-000000000000"),
		NewStartingHashKey: aws.String(half.String())}); err != nil {
		t.Fatal(err)
	}
	waitActive(t, h.kc, h.stream)
	kclWait(t, "the split's children read", time.Minute, func() bool {
		return h.col.hasEvents("rec:shardId-000000000002", "rec:shardId-000000000003")
	})
	if _, err := h.kc.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String(h.stream),
		ShardToMerge: aws.String("shardId-000000000003"), AdjacentShardToMerge: aws.String("shardId-000000000001")}); err != nil {
		t.Fatal(err)
	}
	waitActive(t, h.kc, h.stream)
	kclWait(t, "the merged shard read", time.Minute, func() bool { return h.col.hasEvents("rec:shardId-000000000004") })

	w1.stop(t)
	w2.stop(t)
	before := h.checkpoints()
	h.col.mu.Lock()
	for k, v := range h.col.lastCommit {
		if b, ok := before[k]; ok && consumer.Compare(v, b) > 0 { // a finished lease may be cleaned up
			t.Errorf("shard %s: checkpoint %v written, table has %v", k, v, before[k])
		}
	}
	delivered1 := make(map[string]int, len(h.col.deliveries))
	for k, n := range h.col.deliveries {
		delivered1[k] = n
	}
	committed1 := make(map[string]bool, len(h.col.commits))
	for k := range h.col.commits {
		committed1[k] = true
	}
	h.col.starts = map[string][]consumer.Position{}
	h.col.mu.Unlock()

	// Restart: new workers resume every open shard at its checkpoint.
	w3, w4 := h.startWorker("w3", false), h.startWorker("w4", false)
	kclWait(t, "the open shards resumed", time.Minute, func() bool {
		h.col.mu.Lock()
		defer h.col.mu.Unlock()
		return len(h.col.starts["shardId-000000000002"]) > 0 && len(h.col.starts["shardId-000000000004"]) > 0
	})
	p.stop()
	sent := p.all()
	kclWait(t, "every record committed", time.Minute, func() bool { return len(h.col.missing(sent)) == 0 })
	// The ended parents' leases (they name their children) are deleted
	// once the children have checkpointed progress.
	kclWait(t, "the ended leases cleaned up", time.Minute, func() bool {
		left := h.checkpoints()
		for _, parent := range []string{"shardId-000000000000", "shardId-000000000001", "shardId-000000000003"} {
			if _, ok := left[parent]; ok {
				return false
			}
		}
		return true
	})
	w3.stop(t)
	w4.stop(t)
	h.col.check(t)

	h.col.mu.Lock()
	defer h.col.mu.Unlock()
	for shard, starts := range h.col.starts {
		if want, ok := before[shard]; ok && consumer.Compare(starts[0], want) != 0 {
			t.Errorf("shard %s resumed at %v, its checkpoint was %v", shard, starts[0], want)
		}
	}
	// No record committed before the restart came again after it; the
	// un-checkpointed ones did. (Before the restart, a steal may deliver a
	// record twice: the old owner reads on until its next renewal.)
	again := 0
	for d, n := range h.col.deliveries {
		if delivered1[d] > 0 && n > delivered1[d] {
			if committed1[d] {
				t.Errorf("record %s delivered again after its checkpoint: %v", d, h.col.who[d])
			}
			again++
		}
	}
	t.Logf("%d user records; %d delivered again after the restart (the last batch of each shard)", len(sent), again)

	// Parents before children: no child record before the last record of
	// each of its parents.
	lineage := map[string][]string{
		"shardId-000000000002": {"shardId-000000000000"},
		"shardId-000000000003": {"shardId-000000000000"},
		"shardId-000000000004": {"shardId-000000000001", "shardId-000000000003"},
	}
	for child, parents := range lineage {
		first := slices.Index(h.col.events, "rec:"+child)
		for _, parent := range parents {
			end := slices.Index(h.col.events, "end:"+parent)
			last := lastIndex(h.col.events, "rec:"+parent)
			if end < 0 || first < last {
				t.Errorf("child %s first read at event %d; parent %s last read at %d, ended at %d", child, first, parent, last, end)
			}
		}
	}
}

// checkpoints reads every lease's checkpoint from the table.
func (h *kclHarness) checkpoints() map[string]consumer.Position {
	h.t.Helper()
	out, err := h.dynamoClient().Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(h.app)})
	if err != nil {
		h.t.Fatal(err)
	}
	m := map[string]consumer.Position{}
	for _, it := range out.Items {
		h.checkLeaseItem(it)
		key := it["leaseKey"].(*ddbtypes.AttributeValueMemberS).Value
		seq := it["checkpoint"].(*ddbtypes.AttributeValueMemberS).Value
		sub, err := strconv.ParseInt(it["checkpointSubSequenceNumber"].(*ddbtypes.AttributeValueMemberN).Value, 10, 64)
		if err != nil {
			h.t.Fatal(err)
		}
		if m[key], err = consumer.ParsePosition(seq, sub); err != nil {
			h.t.Fatal(err)
		}
	}
	return m
}

// checkLeaseItem checks a lease item against the Java KCL 2.x schema:
// the attributes it requires, with its types, no empty strings or sets.
func (h *kclHarness) checkLeaseItem(it map[string]ddbtypes.AttributeValue) {
	h.t.Helper()
	want := map[string]string{
		"leaseKey": "S", "leaseCounter": "N", "ownerSwitchesSinceCheckpoint": "N", "checkpoint": "S", "checkpointSubSequenceNumber": "N",
		"leaseOwner": "S", "parentShardId": "SS", "childShardIds": "SS", "startingHashKey": "S", "endingHashKey": "S",
	}
	for _, required := range []string{"leaseKey", "leaseCounter", "ownerSwitchesSinceCheckpoint", "checkpoint", "checkpointSubSequenceNumber", "startingHashKey", "endingHashKey"} {
		if _, ok := it[required]; !ok {
			h.t.Errorf("lease item without %s: %v", required, it)
		}
	}
	for name, v := range it {
		var typ string
		empty := false
		switch v := v.(type) {
		case *ddbtypes.AttributeValueMemberS:
			typ, empty = "S", v.Value == ""
		case *ddbtypes.AttributeValueMemberN:
			typ = "N"
			if _, err := strconv.ParseInt(v.Value, 10, 64); err != nil {
				h.t.Errorf("%s = %s is not a long", name, v.Value)
			}
		case *ddbtypes.AttributeValueMemberSS:
			typ, empty = "SS", len(v.Value) == 0
		default:
			typ = fmt.Sprintf("%T", v)
		}
		if want[name] == "" {
			h.t.Errorf("unexpected lease attribute %s", name)
		} else if typ != want[name] || empty {
			h.t.Errorf("lease attribute %s is %s (empty %v), want %s", name, typ, empty, want[name])
		}
	}
}

func lastIndex(s []string, v string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == v {
			return i
		}
	}
	return -1
}

// hasEvents reports whether each event happened at least 5 times (a
// shard read in 5 batches).
func (c *kclCollector) hasEvents(evs ...string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range evs {
		n := 0
		for _, have := range c.events {
			if have == e {
				n++
			}
		}
		if n < 5 {
			return false
		}
	}
	return true
}

// TestKCLWorkerProcess is a worker process for TestKCLKillProcess, which
// runs the test binary again with KCL_WORKER_URL set: it runs one worker
// until it is killed, printing "C <data>" for each record it committed and
// "H <n>" whenever the number of leases it holds changes. Without the
// variable it does nothing.
func TestKCLWorkerProcess(t *testing.T) {
	url := os.Getenv("KCL_WORKER_URL")
	if url == "" {
		return
	}
	h := &kclHarness{t: t, url: url, stream: "kcl", app: "kclapp", col: newKCLCollector()}
	h.col.out = os.Stdout
	w := h.startWorker("proc", false)
	last := -1
	for {
		if n := len(w.w.Leases()); n != last {
			fmt.Printf("H %d\n", n)
			last = n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestKCLKillProcess: a worker in another process holds its share of the
// leases and is killed with SIGKILL; the in-process workers take its leases
// once they expire, and every record is committed by someone.
func TestKCLKillProcess(t *testing.T) {
	t.Parallel()
	h := newKCLHarness(t, 8, false)
	p := h.startPutter()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKCLWorkerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "KCL_WORKER_URL="+h.url)
	cmd.Stderr = testWriter{t}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var childHeld atomic.Int64
	go func() {
		buf := make([]byte, 0, 64*1024)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(buf, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "D "):
				f := strings.Fields(line)
				if len(f) != 5 {
					continue
				}
				sub, _ := strconv.ParseInt(f[4], 10, 64)
				h.col.mu.Lock()
				h.col.elsewhere[f[1]] = kclAt{shard: f[2], pos: consumer.Position{Sequence: f[3], SubSequence: sub}}
				h.col.mu.Unlock()
			case strings.HasPrefix(line, "C "):
				h.col.mu.Lock()
				h.col.commits[line[2:]] = true
				h.col.mu.Unlock()
			case strings.HasPrefix(line, "H "):
				n, _ := strconv.Atoi(line[2:])
				childHeld.Store(int64(n))
			}
		}
	}()
	w1, w2 := h.startWorker("w1", false), h.startWorker("w2", false)
	kclWait(t, "the worker process and two workers within one of even", time.Minute, func() bool {
		return evenWithin1(append(leaseCounts(w1, w2), int(childHeld.Load())), 8)
	})
	t.Logf("balanced: process %d, in-process %v", childHeld.Load(), leaseCounts(w1, w2))
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	took := kclWait(t, "the killed process's leases to move", time.Minute, func() bool { return evenWithin1(leaseCounts(w1, w2), 8) })
	t.Logf("after SIGKILL: %v in %v (failover time %v)", leaseCounts(w1, w2), took, kclFailover)
	p.stop()
	h.waitAllCommitted(p)
	w1.stop(t)
	w2.stop(t)
	h.col.check(t)
}

// TestKCLAtTimestamp: a new application started AT_TIMESTAMP gets exactly
// the records that arrived after the timestamp (the table is seeded through
// ListShards' AT_TIMESTAMP filter and read with AT_TIMESTAMP iterators).
func TestKCLAtTimestamp(t *testing.T) {
	t.Parallel()
	h := newKCLHarness(t, 2, false)
	put := func(prefix string) []string {
		var sent []string
		var entries []types.PutRecordsRequestEntry
		for i := range 40 {
			d := fmt.Sprintf("%s%03d", prefix, i)
			sent = append(sent, d)
			entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(d), Data: []byte(d)})
		}
		out, err := h.kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(h.stream), Records: entries})
		if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
			t.Fatalf("put: %v %v", out, err)
		}
		return sent
	}
	before := put("before")
	time.Sleep(50 * time.Millisecond)
	at := time.Now()
	time.Sleep(50 * time.Millisecond)
	after := put("after")
	w := h.startWorkerAt("w1", false, at)
	kclWait(t, "the records after the timestamp", time.Minute, func() bool { return len(h.col.missing(after)) == 0 })
	w.stop(t)
	h.col.mu.Lock()
	defer h.col.mu.Unlock()
	for _, d := range before {
		if h.col.deliveries[d] > 0 {
			t.Errorf("%s, put before the timestamp, was delivered", d)
		}
	}
	if len(h.col.errs) > 0 {
		t.Fatal(h.col.errs[0])
	}
}
