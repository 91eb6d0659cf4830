package consumer

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ErrLeaseLost is returned by a checkpoint when the worker no longer holds
// the shard's lease (another worker took it, or it expired locally).
var ErrLeaseLost = errors.New("consumer: lease lost")

// errShutdown is the cause a shard's context ends with when the worker
// stops.
var errShutdown = errors.New("consumer: worker shutting down")

// Worker takes leases on the shards of one stream and runs a processor per
// held lease. Make it with New and start it with Run.
type Worker struct {
	cfg Config
	tbl *table
	log *slog.Logger

	// streamARN and consumerARN are set by Run before any shard starts.
	streamARN   string
	consumerARN string

	mu   sync.Mutex
	held map[string]*held
	rnd  *rand.Rand

	exp    *expiry // used by Run's goroutine only
	shards sync.WaitGroup
}

// held is a lease this worker holds. mu serialises the writes that need
// its counter (renewals, checkpoints, the release); lost is set under mu
// but may be read without it.
type held struct {
	mu      sync.Mutex
	lease   Lease
	renewed time.Time // local clock of the last successful owner write
	lost    atomic.Bool
	cancel  context.CancelCauseFunc
}

// New checks cfg and makes a worker; nothing is contacted before Run.
func New(cfg Config) (*Worker, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	return &Worker{
		cfg:  cfg,
		tbl:  &table{db: cfg.DynamoDB, name: cfg.ApplicationName},
		log:  cfg.Logger.With("worker", cfg.WorkerID, "app", cfg.ApplicationName),
		held: map[string]*held{},
		rnd:  rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		exp:  newExpiry(),
	}, nil
}

// Leases returns the shard ids this worker holds now, sorted.
func (w *Worker) Leases() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for k, h := range w.held {
		if !h.isLost() {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func (h *held) isLost() bool { return h.lost.Load() }

// Run creates the lease table if missing, then takes, renews and balances
// leases and processes their shards until ctx ends. On the way out every
// processor gets Shutdown (where it may checkpoint), then the worker
// releases its leases in the table so other workers take them at once.
func (w *Worker) Run(ctx context.Context) error {
	poll := max(w.cfg.FailoverTime/10, 100*time.Millisecond)
	if err := w.tbl.ensure(ctx, poll); err != nil {
		return err
	}
	if err := w.resolveStream(ctx); err != nil {
		return err
	}
	if err := w.syncShards(ctx); err != nil {
		w.log.Warn("shard sync", "err", err)
	}
	// The renewer runs on its own, so that slow scans never delay a
	// renewal past the failover time.
	rctx, stopRenewer := context.WithCancel(ctx)
	renewerDone := make(chan struct{})
	go func() {
		defer close(renewerDone)
		t := time.NewTicker(w.cfg.FailoverTime / 3)
		defer t.Stop()
		for {
			select {
			case <-rctx.Done():
				return
			case <-t.C:
				w.renewAll(rctx)
			}
		}
	}()
	take := time.NewTicker(w.cfg.FailoverTime / 2)
	defer take.Stop()
	shardSync := time.NewTicker(w.cfg.ShardSyncInterval)
	defer shardSync.Stop()
	w.takeRound(ctx)
	for {
		select {
		case <-ctx.Done():
			stopRenewer()
			<-renewerDone
			w.stop()
			return nil
		case <-take.C:
			w.takeRound(ctx)
		case <-shardSync.C:
			if err := w.syncShards(ctx); err != nil && ctx.Err() == nil {
				w.log.Warn("shard sync", "err", err)
			}
		}
	}
}

// stop ends every shard (processors get Shutdown), then releases the
// leases that are still ours.
func (w *Worker) stop() {
	w.mu.Lock()
	hs := make([]*held, 0, len(w.held))
	for _, h := range w.held {
		hs = append(hs, h)
		h.cancel(errShutdown)
	}
	w.mu.Unlock()
	w.shards.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.FailoverTime)
	defer cancel()
	for _, h := range hs {
		h.mu.Lock()
		if !h.lost.Load() {
			w.releaseLocked(ctx, h)
		}
		h.mu.Unlock()
	}
	w.mu.Lock()
	w.held = map[string]*held{}
	w.mu.Unlock()
}

// renewAll renews every held lease; a lease that could not be renewed
// within the failover time, or whose counter moved under us, is lost.
func (w *Worker) renewAll(ctx context.Context) {
	w.mu.Lock()
	hs := make([]*held, 0, len(w.held))
	for _, h := range w.held {
		hs = append(hs, h)
	}
	w.mu.Unlock()
	var wg sync.WaitGroup
	for _, h := range hs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.renew(ctx, h)
		}()
	}
	wg.Wait()
}

func (w *Worker) renew(ctx context.Context, h *held) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lost.Load() {
		return
	}
	if time.Since(h.renewed) > w.cfg.FailoverTime {
		w.loseLocked(h, "expired before renewal")
		return
	}
	lost, err := w.tbl.renew(ctx, h.lease.Key, w.cfg.WorkerID, h.lease.Counter)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Warn("renew lease", "shard", h.lease.Key, "err", err)
		}
		return
	}
	if lost {
		w.loseLocked(h, "taken by another worker")
		return
	}
	h.lease.Counter++
	h.renewed = time.Now()
}

// resyncLocked handles a failed counter condition: when the table shows
// this worker as owner with the counter one past ours, an earlier write
// whose answer was lost did succeed, and ours is brought up to date.
// h.mu is held.
func (w *Worker) resyncLocked(ctx context.Context, h *held) bool {
	l, ok, err := w.tbl.get(ctx, h.lease.Key)
	if err != nil || !ok || l.Owner != w.cfg.WorkerID || l.Counter != h.lease.Counter+1 {
		return false
	}
	h.lease.Counter = l.Counter
	return true
}

// loseLocked marks h lost and ends its shard; h.mu is held.
func (w *Worker) loseLocked(h *held, why string) {
	h.lost.Store(true)
	h.cancel(ErrLeaseLost)
	w.log.Info("lease lost", "shard", h.lease.Key, "why", why)
}

// releaseLocked removes this worker as the owner of h's lease, so that
// others may take it at once; h.mu is held.
func (w *Worker) releaseLocked(ctx context.Context, h *held) {
	lost, err := w.tbl.release(ctx, h.lease.Key, h.lease.Counter)
	if err == nil && lost && w.resyncLocked(ctx, h) {
		_, err = w.tbl.release(ctx, h.lease.Key, h.lease.Counter)
	}
	if err != nil {
		w.log.Warn("release lease", "shard", h.lease.Key, "err", err)
	}
	h.lost.Store(true)
}

// forget removes h from the held set (its shard goroutine has ended).
func (w *Worker) forget(h *held) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.held[h.lease.Key] == h {
		delete(w.held, h.lease.Key)
	}
}

// takeRound scans the table, takes free leases up to the target (or
// steals toward it), and deletes finished leases that are no longer
// needed.
func (w *Worker) takeRound(ctx context.Context) {
	leases, err := w.tbl.list(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Warn("list leases", "err", err)
		}
		return
	}
	now := time.Now()
	w.exp.observe(leases, now)
	w.cleanup(ctx, leases)

	w.mu.Lock()
	mine := map[string]bool{}
	for k := range w.held {
		mine[k] = true
	}
	w.mu.Unlock()
	var live []Lease
	available := map[string]bool{}
	for _, l := range leases {
		if l.finished() || l.CheckpointOwner != "" {
			continue
		}
		live = append(live, l)
		switch {
		case mine[l.Key]:
		case l.Owner == "" || l.Owner == w.cfg.WorkerID:
			available[l.Key] = true
		case w.exp.expired(l, now, w.cfg.FailoverTime):
			available[l.Key] = true
		}
	}
	w.mu.Lock()
	plan := planTakes(live, available, w.cfg.WorkerID, len(mine), w.cfg.MaxLeasesToStealAtOneTime, w.rnd)
	w.mu.Unlock()
	for _, l := range plan.take {
		lost, err := w.tbl.take(ctx, l, w.cfg.WorkerID)
		if err != nil || lost {
			if err != nil && ctx.Err() == nil {
				w.log.Warn("take lease", "shard", l.Key, "err", err)
			}
			continue
		}
		if l.Owner != w.cfg.WorkerID {
			l.OwnerSwitches++
		}
		w.log.Info("lease taken", "shard", l.Key, "from", l.Owner, "steal", plan.steal, "target", plan.target)
		l.Owner, l.Counter = w.cfg.WorkerID, l.Counter+1
		w.start(ctx, l)
	}
}

// start runs the shard of a lease just taken.
func (w *Worker) start(ctx context.Context, l Lease) {
	sctx, cancel := context.WithCancelCause(ctx)
	h := &held{lease: l, renewed: time.Now(), cancel: cancel}
	w.mu.Lock()
	w.held[l.Key] = h
	w.mu.Unlock()
	w.shards.Add(1)
	go func() {
		defer w.shards.Done()
		defer cancel(nil)
		w.runShard(sctx, h)
	}()
}

// cleanup deletes finished leases whose children all have leases that
// made progress and whose own parents are gone.
func (w *Worker) cleanup(ctx context.Context, leases []Lease) {
	byKey := make(map[string]Lease, len(leases))
	for _, l := range leases {
		byKey[l.Key] = l
	}
	for _, l := range leases {
		if !l.finished() || len(l.Children) == 0 {
			continue
		}
		ok := true
		for _, c := range l.Children {
			cl, found := byKey[c]
			if !found || cl.Checkpoint.Sequence == SentinelTrimHorizon || cl.Checkpoint.Sequence == SentinelAtTimestamp {
				ok = false
			}
		}
		for _, p := range l.Parents {
			if _, found := byKey[p]; found {
				ok = false
			}
		}
		if ok {
			if err := w.tbl.remove(ctx, l.Key); err != nil && ctx.Err() == nil {
				w.log.Warn("clean up lease", "shard", l.Key, "err", err)
			}
		}
	}
}
