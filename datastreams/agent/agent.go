package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/shardcast/shardcast/datastreams/producer"
)

// KinesisAPI is what the agent asks of a Kinesis client: the producer's
// calls, and the reads recovery makes to learn which records of an
// unconfirmed batch were stored. *kinesis.Client has them all.
type KinesisAPI interface {
	producer.KinesisAPI
	ListShards(ctx context.Context, in *kinesis.ListShardsInput, opts ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
	GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, opts ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, opts ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
}

// Options are the agent's dependencies and the timings agent.json has no
// keys for.
type Options struct {
	Kinesis  KinesisAPI           // needed when a flow names a kinesisStream
	Firehose producer.FirehoseAPI // needed when a flow names a deliveryStream
	Log      *slog.Logger
	// PollInterval is how often files are checked for growth and new
	// files (default 100ms, the Kinesis Agent's minimum).
	PollInterval time.Duration
	// RotationGrace is how long a file that was rotated away must stay
	// unchanged before it counts as finished and its last line without
	// "\n" is sent (default 2s): a writer may still append to it.
	RotationGrace time.Duration
	// ClockSkew widens recovery's read of a shard the flow has no sequence
	// number on yet: from the intent's time less this (default 5m).
	ClockSkew time.Duration
	// ShutdownTimeout bounds the last send after Run's context ends
	// (default 10s); what it does not deliver is recovered at the next
	// start.
	ShutdownTimeout time.Duration
	// Linger is the producer's (default 50ms).
	Linger time.Duration

	// newSink replaces producer.New in the package's tests of tailing.
	newSink func(context.Context, producer.Config) (sink, error)
}

// Agent ships the files of its flows.
type Agent struct {
	cfg   Config
	opts  Options
	log   *slog.Logger
	flows []*flow

	mu sync.Mutex // guards cp and its save
	cp *checkpoint
}

// New validates the configuration and reads the checkpoint file.
func New(cfg Config, opts Options) (*Agent, error) {
	if cfg.CheckpointFile == "" {
		return nil, errors.New("agent: checkpointFile is required")
	}
	if len(cfg.Flows) == 0 {
		return nil, errors.New("agent: no flows")
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 100 * time.Millisecond
	}
	if opts.RotationGrace <= 0 {
		opts.RotationGrace = 2 * time.Second
	}
	if opts.ClockSkew <= 0 {
		opts.ClockSkew = 5 * time.Minute
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 10 * time.Second
	}
	if opts.Linger <= 0 {
		opts.Linger = 50 * time.Millisecond
	}
	cp, err := loadCheckpoint(cfg.CheckpointFile)
	if err != nil {
		return nil, err
	}
	a := &Agent{cfg: cfg, opts: opts, log: opts.Log, cp: cp}
	seen := map[string]bool{}
	for _, fc := range cfg.Flows {
		s, err := fc.settings()
		if err != nil {
			return nil, fmt.Errorf("agent: %w", err)
		}
		if seen[s.id] {
			return nil, fmt.Errorf("agent: flow %s twice", s.id)
		}
		seen[s.id] = true
		if s.kinesis && opts.Kinesis == nil {
			return nil, fmt.Errorf("agent: flow %s: no Kinesis client", s.id)
		}
		if !s.kinesis && opts.Firehose == nil {
			return nil, fmt.Errorf("agent: flow %s: no Firehose client", s.id)
		}
		st, had := cp.Flows[s.id]
		if !had {
			st = &flowState{}
			cp.Flows[s.id] = st
		}
		if st.Tips == nil {
			st.Tips = map[string]string{}
		}
		a.flows = append(a.flows, newFlow(a, s, st, !had))
	}
	return a, nil
}

// Run ships until ctx ends, then sends what it read (for at most
// ShutdownTimeout), saves the checkpoint and returns. A flow whose
// destination cannot be reached waits for it; a flow that fails (a file
// cannot be read, the checkpoint cannot be written) ends Run with its
// error.
func (a *Agent) Run(ctx context.Context) error {
	release, err := lockCheckpoint(a.cfg.CheckpointFile)
	if err != nil {
		return err
	}
	defer release()
	// Sends outlive ctx by ShutdownTimeout so that a clean stop delivers
	// what was read.
	sendCtx, cancelSend := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSend()
	stopTimer := context.AfterFunc(ctx, func() {
		time.AfterFunc(a.opts.ShutdownTimeout, cancelSend)
	})
	defer stopTimer()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(a.flows))
	var wg sync.WaitGroup
	for _, f := range a.flows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.run(runCtx, sendCtx); err != nil {
				errc <- fmt.Errorf("flow %s: %w", f.s.id, err)
				cancel()
			}
		}()
	}
	period := defaultStatusPeriod
	if a.cfg.StatusPeriodSecs > 0 {
		period = time.Duration(a.cfg.StatusPeriodSecs) * time.Second
	}
	go a.statusLoop(runCtx, period)
	wg.Wait()
	close(errc)
	var errs []error
	for err := range errc {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// save writes the checkpoint file; callers change the state under a.mu
// through update.
func (a *Agent) update(change func()) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	change()
	return a.cp.save(a.cfg.CheckpointFile)
}

// read runs look under the checkpoint's lock.
func (a *Agent) read(look func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	look()
}

// FlowStatus is one flow's counters.
type FlowStatus struct {
	Flow string
	// Parsed records read from files, Sent delivered, Dropped removed by
	// a conversion, Failed reported by the producer (and sent again).
	Parsed, Sent, Dropped, Failed int64
	BytesSent                     int64
	// Behind is the bytes of the flow's files not yet delivered.
	Behind int64
	File   string // the file being read
}

// Status returns every flow's counters.
func (a *Agent) Status() []FlowStatus {
	out := make([]FlowStatus, len(a.flows))
	for i, f := range a.flows {
		out[i] = f.status()
	}
	return out
}

func (a *Agent) statusLoop(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, s := range a.Status() {
			a.log.Info("agent status", "flow", s.Flow, "parsed", s.Parsed, "sent", s.Sent,
				"dropped", s.Dropped, "failed", s.Failed, "bytes", s.BytesSent, "behind_bytes", s.Behind, "file", s.File)
		}
	}
}
