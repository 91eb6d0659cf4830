package datastreams

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

const testStreamARN = "arn:aws:kinesis:us-east-1:000000000000:stream/s"

func withConsumerDelay(d time.Duration) func(*Config) {
	return func(c *Config) { c.ConsumerDelay = d }
}

// wantErr fails unless err is of kind with exactly msg (msg "" checks the
// kind only).
func wantErr(t *testing.T, what string, err, kind error, msg string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: got %v, want a %v", what, err, kind)
	}
	if msg != "" && err.Error() != msg {
		t.Fatalf("%s: message\n got %s\nwant %s", what, err, msg)
	}
}

func TestConsumerLifecycle(t *testing.T) {
	ctx := context.Background()
	v := newEnv(t, withConsumerDelay(10*time.Second))
	if err := v.e.CreateStream(CreateStreamInput{Name: "s", ShardCount: 1}); err != nil {
		t.Fatal(err)
	}
	c, err := v.e.RegisterConsumer(ctx, testStreamARN, "app", map[string]string{"team": "a"})
	if err != nil {
		t.Fatal(err)
	}
	wantARN := fmt.Sprintf("%s/consumer/app:%d", testStreamARN, v.clock.Now().Unix())
	if c.ARN != wantARN || c.Status != ConsumerCreating || c.Name != "app" || !c.Created.Equal(v.clock.Now()) {
		t.Fatalf("registered %+v, want ARN %s CREATING", c, wantARN)
	}
	_, err = v.e.RegisterConsumer(ctx, testStreamARN, "app", nil)
	wantErr(t, "same name", err, registry.ErrResourceInUse, "Consumer app under stream "+testStreamARN+" already exists for account 000000000000.")
	v.e.advanceConsumers(ctx)
	if d, _ := v.e.DescribeConsumer(ConsumerRef{ARN: c.ARN}); d.Status != ConsumerCreating {
		t.Fatalf("before the delay: %s", d.Status)
	}
	// A subscription needs an ACTIVE consumer.
	_, err = v.e.SubscribeToShard(ctx, c.ARN, "shardId-000000000000", StartingPosition{Type: Latest})
	wantErr(t, "subscribe while CREATING", err, registry.ErrResourceInUse,
		fmt.Sprintf("Consumer app with creation timestamp %d under stream: s , account 000000000000 is not in ACTIVE status.", c.Created.Unix()))

	v.clock.Add(10 * time.Second)
	v.e.advanceConsumers(ctx)
	for _, ref := range []ConsumerRef{{ARN: c.ARN}, {StreamARN: testStreamARN, Name: "app"}} {
		d, err := v.e.DescribeConsumer(ref)
		if err != nil || d.Status != ConsumerActive || d.StreamARN != testStreamARN || d.ARN != c.ARN {
			t.Fatalf("describe %+v: %+v %v", ref, d, err)
		}
	}
	if d, _ := v.e.DescribeStreamSummary(StreamRef{Name: "s"}); d.ConsumerCount != 1 {
		t.Fatalf("ConsumerCount %d", d.ConsumerCount)
	}
	// Consumers and their tags survive a restart.
	v.e.Close()
	v.cat.Close()
	v.open(withConsumerDelay(10 * time.Second))
	tags, err := v.e.ListResourceTags(c.ARN)
	if err != nil || len(tags) != 1 || tags[0] != (Tag{"team", "a"}) {
		t.Fatalf("consumer tags after restart: %v %v", tags, err)
	}
	if err := v.e.TagResource(ctx, c.ARN, map[string]string{"env": "prod"}); err != nil {
		t.Fatal(err)
	}
	if err := v.e.UntagResource(ctx, c.ARN, []string{"team"}); err != nil {
		t.Fatal(err)
	}
	if tags, _ := v.e.ListResourceTags(c.ARN); len(tags) != 1 || tags[0] != (Tag{"env", "prod"}) {
		t.Fatalf("consumer tags: %v", tags)
	}

	// An ARN of an earlier incarnation of the name is not this consumer.
	stale := fmt.Sprintf("%s/consumer/app:%d", testStreamARN, v.clock.Now().Unix()-100)
	_, err = v.e.DescribeConsumer(ConsumerRef{ARN: stale})
	wantErr(t, "stale ARN", err, registry.ErrResourceNotFound, "Consumer "+stale+", account 000000000000 not found.")
	_, err = v.e.DescribeConsumer(ConsumerRef{StreamARN: testStreamARN, Name: "nobody"})
	wantErr(t, "unknown name", err, registry.ErrResourceNotFound, "Consumer nobody, account 000000000000 not found.")
	_, err = v.e.DescribeConsumer(ConsumerRef{Name: "app"})
	wantErr(t, "no stream", err, registry.ErrInvalidArgument, "")

	// A stream with consumers is deleted only when asked to delete them too.
	err = v.e.DeleteStream(StreamRef{Name: "s"}, false)
	wantErr(t, "delete with consumers", err, registry.ErrResourceInUse,
		"DeleteStream can’t delete 000000000000:s because there are consumers associated with this data stream. To delete s anyway, set the EnforceConsumerDeletion parameter to true to force the deletion of all the consumers that are associated with it.")
	if _, err := v.e.DescribeStreamSummary(StreamRef{Name: "s"}); err != nil {
		t.Fatalf("a refused delete changed the stream: %v", err)
	}

	if err := v.e.DeregisterConsumer(ctx, ConsumerRef{ARN: c.ARN}); err != nil {
		t.Fatal(err)
	}
	if d, _ := v.e.DescribeConsumer(ConsumerRef{ARN: c.ARN}); d.Status != ConsumerDeleting {
		t.Fatalf("after deregister: %s", d.Status)
	}
	// The deletion completes after a restart.
	v.e.Close()
	v.cat.Close()
	v.open(withConsumerDelay(10 * time.Second))
	v.clock.Add(10 * time.Second)
	v.e.advanceConsumers(ctx)
	_, err = v.e.DescribeConsumer(ConsumerRef{ARN: c.ARN})
	wantErr(t, "after the deletion", err, registry.ErrResourceNotFound, "")
	if err := v.e.DeleteStream(StreamRef{Name: "s"}, false); err != nil {
		t.Fatalf("delete without consumers: %v", err)
	}
}

func TestConsumerLimitsAndPaging(t *testing.T) {
	ctx := context.Background()
	v := newEnv(t, withConsumerDelay(time.Second))
	v.e.CreateStream(CreateStreamInput{Name: "s", ShardCount: 1})
	for i := range MaxConsumersCreating {
		if _, err := v.e.RegisterConsumer(ctx, testStreamARN, fmt.Sprintf("c%02d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	_, err := v.e.RegisterConsumer(ctx, testStreamARN, "c05", nil)
	wantErr(t, "sixth CREATING", err, registry.ErrLimitExceeded, "")
	for i := MaxConsumersCreating; i < MaxConsumersPerStream; i++ {
		v.clock.Add(time.Second)
		v.e.advanceConsumers(ctx)
		if _, err := v.e.RegisterConsumer(ctx, testStreamARN, fmt.Sprintf("c%02d", i), nil); err != nil {
			t.Fatalf("consumer %d: %v", i, err)
		}
	}
	_, err = v.e.RegisterConsumer(ctx, testStreamARN, "c20", nil)
	wantErr(t, "21st consumer", err, registry.ErrLimitExceeded, "")

	var names []string
	token := ""
	for {
		page, next, err := v.e.ListConsumers(testStreamARN, token, 7, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			names = append(names, c.Name)
		}
		if next == "" {
			break
		}
		token = next
	}
	if len(names) != MaxConsumersPerStream || names[0] != "c00" || names[19] != "c19" {
		t.Fatalf("listed %v", names)
	}
	_, _, err = v.e.ListConsumers(testStreamARN, token+"x", 7, nil)
	wantErr(t, "bad token", err, registry.ErrInvalidArgument, "Invalid NextToken.")
	_, _, err = v.e.ListConsumers("arn:aws:kinesis:us-east-1:000000000000:stream/none", "", 0, nil)
	wantErr(t, "no stream", err, registry.ErrResourceNotFound, "Stream none under account 000000000000 not found.")

	if err := v.e.DeleteStream(StreamRef{Name: "s"}, true); err != nil {
		t.Fatalf("enforced delete: %v", err)
	}
}

// activeConsumer makes a stream s of shards and an ACTIVE consumer.
func activeConsumer(t *testing.T, v *env, shards int) string {
	t.Helper()
	if err := v.e.CreateStream(CreateStreamInput{Name: "s", ShardCount: shards}); err != nil {
		t.Fatal(err)
	}
	c, err := v.e.RegisterConsumer(context.Background(), testStreamARN, "app", nil)
	if err != nil {
		t.Fatal(err)
	}
	v.e.advanceConsumers(context.Background())
	return c.ARN
}

func next(t *testing.T, s *Subscription) SubscribeEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ev, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("next: %v", err)
	}
	return ev
}

func datas(ev SubscribeEvent) []string {
	var out []string
	for _, r := range ev.Records {
		out = append(out, string(r.Data))
	}
	return out
}

func TestSubscriptionPushesRecordsAndEnds(t *testing.T) {
	ctx := context.Background()
	v := newEnv(t, func(c *Config) { c.SubscriptionLifetime = time.Minute })
	arn := activeConsumer(t, v, 1)
	v.put("s", "k", "before")
	sub, err := v.e.SubscribeToShard(ctx, arn, "shardId-000000000000", StartingPosition{Type: Latest})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	// The first event comes at once, without records.
	ev := next(t, sub)
	if len(ev.Records) != 0 || ev.ContinuationSequenceNumber == "" {
		t.Fatalf("first event %+v", ev)
	}
	// Records are pushed as they commit: Next waits on the log.
	got := make(chan SubscribeEvent, 1)
	go func() {
		ev, _ := sub.Next(ctx)
		got <- ev
	}()
	r1 := v.put("s", "k", "one")
	ev = <-got
	if d := datas(ev); len(d) != 1 || d[0] != "one" || ev.ContinuationSequenceNumber != r1.SequenceNumber {
		t.Fatalf("pushed %v, continuation %s (want %s)", d, ev.ContinuationSequenceNumber, r1.SequenceNumber)
	}
	// A second subscription of the consumer to the shard, within the
	// takeover time, is refused.
	_, err = v.e.SubscribeToShard(ctx, arn, "shardId-000000000000", StartingPosition{Type: Latest})
	wantErr(t, "second subscription", err, registry.ErrResourceInUse,
		"Another active subscription exists for this consumer: 000000000000:s:shardId-000000000000:app")
	// Past its lifetime the subscription ends cleanly; a new one resumes
	// after the continuation number.
	r2 := v.put("s", "k", "two")
	v.clock.Add(time.Minute)
	if _, err := sub.Next(ctx); err != io.EOF {
		t.Fatalf("after the lifetime: %v", err)
	}
	sub.Close()
	sub2, err := v.e.SubscribeToShard(ctx, arn, "shardId-000000000000", StartingPosition{Type: AfterSequenceNumber, SequenceNumber: ev.ContinuationSequenceNumber})
	if err != nil {
		t.Fatal(err)
	}
	defer sub2.Close()
	ev = next(t, sub2)
	if d := datas(ev); len(d) != 1 || d[0] != "two" || ev.Records[0].SequenceNumber != r2.SequenceNumber {
		t.Fatalf("resumed with %v", d)
	}
	// A continuation number given before any record was read resumes at
	// the shard's start.
	sub2.Close()
	sub3, err := v.e.SubscribeToShard(ctx, arn, "shardId-000000000000", StartingPosition{Type: TrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	sub3.Close()
	start, _ := v.e.DescribeStream(StreamRef{Name: "s"}, 0, "")
	sub4, err := v.e.SubscribeToShard(ctx, arn, "shardId-000000000000", StartingPosition{Type: AfterSequenceNumber, SequenceNumber: start.Shards[0].StartSeq})
	if err != nil {
		t.Fatal(err)
	}
	defer sub4.Close()
	if d := datas(next(t, sub4)); strings.Join(d, ",") != "before,one,two" {
		t.Fatalf("after the shard's starting number: %v", d)
	}
}

func TestSubscriptionTakeoverAndDeregister(t *testing.T) {
	ctx := context.Background()
	v := newEnv(t, nil)
	arn := activeConsumer(t, v, 2)
	old, err := v.e.SubscribeToShard(ctx, arn, "shardId-000000000001", StartingPosition{Type: TrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	next(t, old)
	// Another shard is another subscription.
	other, err := v.e.SubscribeToShard(ctx, arn, "shardId-000000000000", StartingPosition{Type: TrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	// Five seconds on, a new subscription takes over; the old one ends
	// with ResourceInUse.
	v.clock.Add(DefaultSubscriptionTakeover)
	takeover, err := v.e.SubscribeToShard(ctx, arn, "shardId-000000000001", StartingPosition{Type: TrimHorizon})
	if err != nil {
		t.Fatalf("takeover: %v", err)
	}
	defer takeover.Close()
	_, err = old.Next(ctx)
	wantErr(t, "taken over", err, registry.ErrResourceInUse, "")
	// Deregistering the consumer ends its subscriptions.
	if err := v.e.DeregisterConsumer(ctx, ConsumerRef{ARN: arn}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Subscription{other, takeover} {
		if _, err := s.Next(ctx); !errors.Is(err, registry.ErrResourceNotFound) {
			t.Fatalf("after deregister: %v", err)
		}
	}
}

func TestSubscriptionAtTheEndOfAClosedShard(t *testing.T) {
	ctx := context.Background()
	v := newEnv(t, nil)
	arn := activeConsumer(t, v, 1)
	for i := range 3 {
		v.put("s", "k", fmt.Sprint(i))
	}
	// Close shard 0 as a split does: two children, the parent's end.
	st := v.e.lookup("s")
	_, err := st.Update(ctx, func(m *index.Stream) error {
		p := &m.Shards[0]
		p.Closed, p.EndSeq = v.clock.Now(), 3
		mid := "170141183460469231731687303715884105727"
		m.Shards = append(m.Shards,
			index.Shard{ID: shardID(1), Index: 1, StartHash: "0", EndHash: mid, Parent: p.ID, Created: v.clock.Now()},
			index.Shard{ID: shardID(2), Index: 2, StartHash: "170141183460469231731687303715884105728", EndHash: p.EndHash, Parent: p.ID, Created: v.clock.Now()})
		m.NextShardIndex = 3
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	v.reopen()
	sub, err := v.e.SubscribeToShard(ctx, arn, "shardId-000000000000", StartingPosition{Type: TrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ev := next(t, sub)
	if d := datas(ev); strings.Join(d, ",") != "0,1,2" {
		t.Fatalf("records %v", d)
	}
	if ev.ContinuationSequenceNumber != "" || len(ev.ChildShards) != 2 || ev.ChildShards[0].ID != shardID(1) ||
		len(ev.ChildShards[1].Parents) != 1 || ev.ChildShards[1].Parents[0] != shardID(0) {
		t.Fatalf("last event %+v", ev)
	}
	if _, err := sub.Next(ctx); err != io.EOF {
		t.Fatalf("after the last event: %v", err)
	}
	// Subscribing at the end gives the children at once.
	sub.Close()
	sub, err = v.e.SubscribeToShard(ctx, arn, "shardId-000000000000", StartingPosition{Type: Latest})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if ev := next(t, sub); len(ev.Records) != 0 || len(ev.ChildShards) != 2 || ev.ContinuationSequenceNumber != "" {
		t.Fatalf("at the end %+v", ev)
	}
}

// A subscriber that does not read holds nothing back: writers and another
// consumer go on.
func TestIdleSubscriberHoldsNobody(t *testing.T) {
	ctx := context.Background()
	v := newEnv(t, nil)
	arn := activeConsumer(t, v, 1)
	c2, err := v.e.RegisterConsumer(ctx, testStreamARN, "fast", nil)
	if err != nil {
		t.Fatal(err)
	}
	v.e.advanceConsumers(ctx)
	slow, err := v.e.SubscribeToShard(ctx, arn, "shardId-000000000000", StartingPosition{Type: TrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fast, err := v.e.SubscribeToShard(ctx, c2.ARN, "shardId-000000000000", StartingPosition{Type: TrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	n := 0
	for i := range 200 {
		v.put("s", "k", fmt.Sprint(i))
		for n <= i {
			n += len(next(t, fast).Records)
		}
	}
	ev := next(t, slow)
	if len(ev.Records) != 200 {
		t.Fatalf("the slow subscriber then reads %d records", len(ev.Records))
	}
}

// FuzzParseConsumerARN: whatever a client sends as a ConsumerARN, the
// parser does not fail, and what it accepts is exactly the stream ARN, the
// name and the creation seconds put back together.
func FuzzParseConsumerARN(f *testing.F) {
	for _, s := range []string{
		testStreamARN + "/consumer/app:1772366400",
		testStreamARN + "/consumer/a:b:1",
		testStreamARN + "/consumer/:1",
		testStreamARN + "/consumer/app:",
		testStreamARN + "/consumer/app:-1",
		testStreamARN + "/consumer/x/consumer/y:99999999999999999999",
		"/consumer/",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		streamARN, name, ok := parseConsumerARN(s)
		if !ok {
			return
		}
		prefix := streamARN + "/consumer/" + name + ":"
		if name == "" || !strings.HasPrefix(s, prefix) {
			t.Fatalf("%q parsed as stream %q name %q", s, streamARN, name)
		}
		if _, err := strconv.ParseUint(s[len(prefix):], 10, 63); err != nil {
			t.Fatalf("%q accepted with creation %q", s, s[len(prefix):])
		}
	})
}
