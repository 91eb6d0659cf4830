package firehose

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
	"github.com/shardcast/shardcast/datastreams/firehose/prefix"
	"github.com/shardcast/shardcast/datastreams/registry"
)

// Redshift's role: a batch is first staged as an object in the
// destination's intermediate bucket (S3Configuration), then loaded with
// COPY by the destination the factory built. A batch given up on is not
// written as error records: a COPY manifest naming its staged object goes
// under errors/ in the intermediate bucket, as Firehose does.

// stagedCopy stages each batch once, then runs the load.
type stagedCopy struct {
	load   delivery.Destination
	stage  *s3Target
	bucket string

	mu     sync.Mutex
	staged map[string]string // request id -> staged key
}

// stageRedshift makes p stage its batches in bucket before loading them.
func (e *Engine) stageRedshift(p *plan, bucket string, pf *prefix.Prefixes, compression string) error {
	enc, err := e.encoder(compression, nil)
	if err != nil {
		return errorf(registry.ErrInvalidArgument, "%s", err.Error())
	}
	if compression == "ZIP" || compression == "Snappy" || compression == "HADOOP_SNAPPY" {
		return errorf(registry.ErrInvalidArgument, "CompressionFormat %s is not supported for the Redshift destination's S3Configuration.", compression)
	}
	sc := &stagedCopy{load: p.target, bucket: bucket, staged: map[string]string{},
		stage: &s3Target{objects: e.cfg.Objects, bucket: bucket, enc: enc, prefixes: pf}}
	p.target = sc
	p.giveUp = func(ctx context.Context, b delivery.Batch) error {
		key, err := sc.stageOnce(ctx, b)
		if err != nil {
			return err
		}
		sc.forget(b.RequestID)
		return e.cfg.Objects.Put(ctx, bucket, "errors/"+key, copyManifest("s3://"+bucket+"/"+key),
			delivery.ObjectMeta{ContentType: "application/json"})
	}
	return nil
}

func (c *stagedCopy) stageOnce(ctx context.Context, b delivery.Batch) (string, error) {
	c.mu.Lock()
	key, ok := c.staged[b.RequestID]
	c.mu.Unlock()
	if ok {
		return key, nil
	}
	sb := b
	var err error
	if sb.Prefix, err = c.stage.prefixes.Prefix(b.Oldest(), nil); err != nil {
		return "", err
	}
	key, _, err = c.stage.put(ctx, sb)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.staged[b.RequestID] = key
	c.mu.Unlock()
	return key, nil
}

func (c *stagedCopy) forget(requestID string) {
	c.mu.Lock()
	delete(c.staged, requestID)
	c.mu.Unlock()
}

func (c *stagedCopy) Deliver(ctx context.Context, b delivery.Batch) error {
	if _, err := c.stageOnce(ctx, b); err != nil {
		return err
	}
	if err := c.load.Deliver(ctx, b); err != nil {
		return err
	}
	c.forget(b.RequestID)
	return nil
}

func (c *stagedCopy) ErrorOutputType() string { return "" }
func (c *stagedCopy) Close() error            { return c.load.Close() }

// copyManifest is a COPY manifest naming objects by s3:// URL.
func copyManifest(urls ...string) []byte {
	type entry struct {
		URL       string `json:"url"`
		Mandatory bool   `json:"mandatory"`
	}
	m := struct {
		Entries []entry `json:"entries"`
	}{Entries: []entry{}}
	for _, u := range urls {
		m.Entries = append(m.Entries, entry{URL: u, Mandatory: true})
	}
	b, _ := json.Marshal(m)
	return b
}

// giveUp runs a plan's replacement of error records, retrying until it is
// stored (as the error output does); false when the loop is stopping.
func (l *loop) giveUp(ctx context.Context, p *plan, b delivery.Batch) bool {
	for attempt := 1; ; attempt++ {
		err := p.giveUp(ctx, b)
		if err == nil {
			l.mu.Lock()
			l.stats.ErrorRecords += int64(len(b.Records))
			l.mu.Unlock()
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		l.fail(fmt.Errorf("write the error manifest: %w", err))
		if !sleep(ctx, l.backoff(attempt)) {
			return false
		}
	}
}

// recordCodes returns, for the records left after a failed attempt, the
// error code each got of its own (OpenSearch's per-document statuses), or
// "". left maps an index of what is left to its index in the attempt's
// batch (nil: all of it).
func recordCodes(err error, left []int) func(i int) string {
	var rc interface {
		RecordCode(i int) (code, message string)
	}
	if !errors.As(err, &rc) {
		return func(int) string { return "" }
	}
	return func(i int) string {
		if left != nil {
			if i >= len(left) {
				return ""
			}
			i = left[i]
		}
		code, _ := rc.RecordCode(i)
		return code
	}
}
