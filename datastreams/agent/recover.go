package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shardcast/shardcast/datastreams/kpl"
)

// recoverySettle is how long recovery waits before it reads the stream,
// so that a request of the stopped run still in the service lands first.
const recoverySettle = time.Second

// recover finishes the batch an earlier run had in flight when it
// stopped: it reads the stream after the flow's last known sequence
// numbers to learn which of the batch's records were stored, then sends
// the others from the file, so nothing is lost or stored twice.
func (f *flow) recover(ctx, sendCtx context.Context, in *intent) error {
	log := f.a.log.With("flow", f.s.id, "file", in.Path)
	c := f.locate(in)
	if c == nil || len(in.Ends) == 0 {
		log.Warn("agent: the file of an unconfirmed batch is gone; records of it may be lost", "from", in.From)
		return f.a.update(func() { f.st.Intent = nil })
	}
	defer c.f.Close()
	var st *fileState
	f.a.read(func() {
		for _, s := range f.st.Files {
			if s.sameInode(in.File) {
				st = s
			}
		}
	})
	if st == nil {
		st = &fileState{fileID: in.File, Path: c.path, Offset: in.From}
		if err := f.a.update(func() { f.st.Files = append(f.st.Files, st) }); err != nil {
			return err
		}
	}
	// A PutRecords the killed run had in flight may still be landing.
	if err := sleep(ctx, recoverySettle); err != nil {
		return err
	}
	done := append([]bool(nil), in.Done...)
	found, err := f.findStored(ctx, in, done)
	if err != nil {
		return fmt.Errorf("recovery: %w", err)
	}
	log.Info("agent: recovered an unconfirmed batch", "records", len(in.Ends), "already_stored", found)
	// Read the batch's bytes again and send what is missing.
	end := in.Ends[len(in.Ends)-1]
	buf := make([]byte, end-in.From)
	if _, err := c.f.ReadAt(buf, in.From); err != nil {
		if !errors.Is(err, io.EOF) {
			return fmt.Errorf("recovery: read %s: %w", c.path, err)
		}
		log.Warn("agent: the file of an unconfirmed batch got shorter; records of it may be lost")
		return f.a.update(func() { f.st.Intent = nil })
	}
	f.cur = &tailFile{f: c.f, path: c.path, id: in.File} // for the partition keys
	b := &batch{file: st, from: in.From, since: in.Time}
	start := in.From
	for i, e := range in.Ends {
		rec := rawRecord{start: start, end: e, data: buf[start-in.From : e-in.From]}
		p := prepared{end: e, done: true}
		if !done[i] {
			p = f.prepare(rec)
		}
		b.recs = append(b.recs, p)
		start = e
	}
	f.cur = nil
	f.batch = b
	return f.send(sendCtx)
}

// locate opens the file an intent names (same inode, same first bytes),
// where the pattern or the pattern's directory has it.
func (f *flow) locate(in *intent) *candidate {
	cands, err := f.scan()
	if err != nil {
		return nil
	}
	var hit *candidate
	for _, c := range cands {
		dev, ino, err := inodeOf(c.fi)
		if hit == nil && err == nil {
			if ok, _ := in.File.matches(c.f, dev, ino); ok {
				hit = c
				continue
			}
		}
		c.f.Close()
	}
	if hit != nil {
		return hit
	}
	return f.findByInode(&fileState{fileID: in.File, Path: in.Path})
}

// findStored reads every shard after the flow's tips (or from the
// intent's time less ClockSkew where the flow has none) and marks the
// intent's records it finds there; it returns how many it found.
func (f *flow) findStored(ctx context.Context, in *intent, done []bool) (int, error) {
	want := map[string][]int{}
	missing := 0
	for i, h := range in.Hashes {
		if !done[i] && h != "" {
			want[h] = append(want[h], i)
			missing++
		} else {
			done[i] = true
		}
	}
	if missing == 0 {
		return 0, nil
	}
	k := f.a.opts.Kinesis
	var shards []types.Shard
	var token *string
	for {
		li := &kinesis.ListShardsInput{}
		if token != nil {
			li.NextToken = token
		} else {
			li.StreamName = aws.String(f.s.dest)
		}
		out, err := k.ListShards(ctx, li)
		if err != nil {
			return 0, err
		}
		shards = append(shards, out.Shards...)
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	found := 0
	for _, sh := range shards {
		if found == missing {
			break
		}
		gi := &kinesis.GetShardIteratorInput{StreamName: aws.String(f.s.dest), ShardId: sh.ShardId}
		f.mu.Lock()
		tip := f.tips[aws.ToString(sh.ShardId)]
		f.mu.Unlock()
		if tip != "" {
			gi.ShardIteratorType, gi.StartingSequenceNumber = types.ShardIteratorTypeAfterSequenceNumber, aws.String(tip)
		} else {
			gi.ShardIteratorType, gi.Timestamp = types.ShardIteratorTypeAtTimestamp, aws.Time(in.Time.Add(-f.a.opts.ClockSkew))
		}
		it, err := k.GetShardIterator(ctx, gi)
		if err != nil {
			return found, fmt.Errorf("shard %s: %w", aws.ToString(sh.ShardId), err)
		}
		iter := it.ShardIterator
		for iter != nil && found < missing {
			out, err := k.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				var te *types.ProvisionedThroughputExceededException
				if errors.As(err, &te) {
					if err := sleep(ctx, 200*time.Millisecond); err != nil {
						return found, err
					}
					continue
				}
				return found, fmt.Errorf("shard %s: %w", aws.ToString(sh.ShardId), err)
			}
			for _, r := range out.Records {
				users, _, err := kpl.Deaggregate(r.Data, aws.ToString(r.PartitionKey), "")
				if err != nil {
					continue
				}
				for _, u := range users {
					h := recordHash(u.PartitionKey, u.Data)
					idx := want[h]
					if len(idx) == 0 {
						continue
					}
					done[idx[0]] = true
					want[h] = idx[1:]
					found++
					f.mu.Lock()
					if seqLess(f.tips[aws.ToString(sh.ShardId)], aws.ToString(r.SequenceNumber)) {
						f.tips[aws.ToString(sh.ShardId)] = aws.ToString(r.SequenceNumber)
					}
					f.mu.Unlock()
				}
			}
			iter = out.NextShardIterator
			if len(out.Records) == 0 && aws.ToInt64(out.MillisBehindLatest) == 0 {
				break
			}
		}
	}
	return found, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
