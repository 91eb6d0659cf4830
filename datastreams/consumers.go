package datastreams

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

// Enhanced fan-out consumers. A consumer lives in its stream's definition
// (index.Stream.Consumers), so it is stored wherever streams are. Register
// adds it CREATING and Deregister marks it DELETING; the engine's consumer
// loop makes it ACTIVE, or removes it, once Config.ConsumerDelay has passed
// since it entered that state. The loop starts at Open, so transitions
// that a restart interrupted complete after it.

// Consumer states.
const (
	ConsumerCreating = "CREATING"
	ConsumerActive   = "ACTIVE"
	ConsumerDeleting = "DELETING"
)

// Limits on consumers, as AWS has them for a provisioned stream.
const (
	MaxConsumersPerStream = 20
	MaxConsumersCreating  = 5
	// maxListConsumers is the most consumers one ListStreamConsumers page holds.
	maxListConsumers = 100
)

// Consumer describes a consumer as the consumer operations report it.
type Consumer struct {
	Name      string
	ARN       string
	Status    string
	Created   time.Time
	StreamARN string
}

// ConsumerRef names a consumer by its ARN, or by its stream's ARN and its
// name.
type ConsumerRef struct {
	ARN       string
	StreamARN string
	Name      string
}

func consumerOf(c index.Consumer, streamARN string) Consumer {
	return Consumer{Name: c.Name, ARN: c.ARN, Status: c.Status, Created: c.Created, StreamARN: streamARN}
}

// parseConsumerARN splits <stream ARN>/consumer/<name>:<seconds>.
func parseConsumerARN(arn string) (streamARN, name string, ok bool) {
	i := strings.LastIndex(arn, "/consumer/")
	if i < 0 {
		return "", "", false
	}
	rest := arn[i+len("/consumer/"):]
	j := strings.LastIndexByte(rest, ':')
	if j <= 0 {
		return "", "", false
	}
	if _, err := strconv.ParseUint(rest[j+1:], 10, 63); err != nil {
		return "", "", false
	}
	return arn[:i], rest[:j], true
}

// consumerNotFound is the answer for a consumer the stream does not hold.
func (e *Engine) consumerNotFound(ref ConsumerRef) error {
	who := ref.Name
	if ref.ARN != "" {
		who = ref.ARN
	}
	return errorf(registry.ErrResourceNotFound, "Consumer %s, account %s not found.", who, e.cfg.Account)
}

// resolveConsumer finds the stream a consumer reference names, and the
// consumer's name (its ARN is checked against the definition by findConsumer).
func (e *Engine) resolveConsumer(ref ConsumerRef) (*stream, ConsumerRef, error) {
	if ref.ARN == "" && (ref.StreamARN == "" || ref.Name == "") {
		return nil, ref, errorf(registry.ErrInvalidArgument, "Either ConsumerARN or both StreamARN and ConsumerName must be provided.")
	}
	streamARN := ref.StreamARN
	if ref.ARN != "" {
		s, name, ok := parseConsumerARN(ref.ARN)
		if !ok {
			return nil, ref, errorf(registry.ErrInvalidArgument, "Invalid ConsumerARN %s.", ref.ARN)
		}
		streamARN, ref.Name = s, name
	}
	st, _, err := e.resolve(StreamRef{ARN: streamARN})
	if err != nil {
		if errors.Is(err, registry.ErrResourceNotFound) {
			return nil, ref, e.consumerNotFound(ref)
		}
		return nil, ref, err
	}
	return st, ref, nil
}

// findConsumer returns the position of the consumer ref names in def, or -1.
func findConsumer(def *index.Stream, ref ConsumerRef) int {
	for i, c := range def.Consumers {
		if c.Name == ref.Name && (ref.ARN == "" || c.ARN == ref.ARN) {
			return i
		}
	}
	return -1
}

// RegisterConsumer registers a consumer to a stream; it is CREATING when
// this returns.
func (e *Engine) RegisterConsumer(ctx context.Context, streamARN, name string, tags map[string]string) (Consumer, error) {
	var out Consumer
	_, err := e.update(ctx, StreamRef{ARN: streamARN}, false, func(m *index.Stream) error {
		if m.Status != StatusActive && m.Status != StatusUpdating {
			return e.notActive(m.Name, m.Status)
		}
		if findConsumer(m, ConsumerRef{Name: name}) >= 0 {
			return errorf(registry.ErrResourceInUse, "Consumer %s under stream %s already exists for account %s.", name, m.ARN, e.cfg.Account)
		}
		if len(m.Consumers) >= MaxConsumersPerStream {
			return errorf(registry.ErrLimitExceeded, "Consumer limit of %d exceeded for stream %s under account %s.", MaxConsumersPerStream, m.ARN, e.cfg.Account)
		}
		creating := 0
		for _, c := range m.Consumers {
			if c.Status == ConsumerCreating {
				creating++
			}
		}
		if creating >= MaxConsumersCreating {
			return errorf(registry.ErrLimitExceeded, "Rate exceeded: stream %s under account %s already has %d consumers in CREATING state.", m.ARN, e.cfg.Account, MaxConsumersCreating)
		}
		if err := e.checkTags(m.Name, tags, nil, "add"); err != nil {
			return err
		}
		now := e.cfg.Now().UTC().Truncate(time.Millisecond)
		c := index.Consumer{Name: name, ARN: fmt.Sprintf("%s/consumer/%s:%d", m.ARN, name, now.Unix()),
			Status: ConsumerCreating, Created: now, Changed: now}
		if len(tags) > 0 {
			c.Tags = make(map[string]string, len(tags))
			for k, v := range tags {
				c.Tags[k] = v
			}
		}
		m.Consumers = append(m.Consumers, c)
		out = consumerOf(c, m.ARN)
		return nil
	})
	if err != nil {
		return Consumer{}, err
	}
	e.wakeConsumers()
	e.cfg.Logger.Info("datastreams: consumer registered", "consumer", out.ARN)
	return out, nil
}

// DescribeConsumer describes a consumer.
func (e *Engine) DescribeConsumer(ref ConsumerRef) (Consumer, error) {
	st, ref, err := e.resolveConsumer(ref)
	if err != nil {
		return Consumer{}, err
	}
	def := st.Def()
	i := findConsumer(def, ref)
	if i < 0 {
		return Consumer{}, e.consumerNotFound(ref)
	}
	return consumerOf(def.Consumers[i], def.ARN), nil
}

// DeregisterConsumer marks a consumer DELETING; it is gone once the
// consumer delay has passed. Its subscriptions end at once.
func (e *Engine) DeregisterConsumer(ctx context.Context, ref ConsumerRef) error {
	st, ref, err := e.resolveConsumer(ref)
	if err != nil {
		return err
	}
	var arn string
	_, err = st.Update(ctx, func(m *index.Stream) error {
		i := findConsumer(m, ref)
		if i < 0 {
			return e.consumerNotFound(ref)
		}
		c := &m.Consumers[i]
		arn = c.ARN
		if c.Status == ConsumerDeleting {
			return registry.ErrUnchanged
		}
		c.Status, c.Changed = ConsumerDeleting, e.cfg.Now().UTC()
		return nil
	})
	if errors.Is(err, registry.ErrGone) {
		return e.consumerNotFound(ref)
	}
	if err != nil {
		var re *registry.Error
		if !errors.As(err, &re) {
			err = fmt.Errorf("%w: %w", registry.ErrInternal, err)
		}
		return err
	}
	e.subs.endConsumer(arn, errorf(registry.ErrResourceNotFound, "Consumer %s, account %s not found.", arn, e.cfg.Account))
	e.wakeConsumers()
	e.cfg.Logger.Info("datastreams: consumer deregistered", "consumer", arn)
	return nil
}

// ListConsumers lists a stream's consumers in name order, up to max
// (at most 100) after where nextToken left off.
func (e *Engine) ListConsumers(streamARN, nextToken string, max int, streamCreated *time.Time) ([]Consumer, string, error) {
	after := ""
	var created int64
	if nextToken != "" {
		t, err := e.decodeToken(nextToken)
		if err != nil || t.created == 0 || !strings.HasPrefix(t.payload, "consumers\x00") {
			return nil, "", errorf(registry.ErrInvalidArgument, "Invalid NextToken.")
		}
		if e.cfg.Now().Sub(t.issued) > listTokenTTL {
			return nil, "", errorf(registry.ErrExpiredNextToken, "The requested token has expired.")
		}
		after, created = strings.TrimPrefix(t.payload, "consumers\x00"), t.created
	}
	st, _, err := e.resolve(StreamRef{ARN: streamARN})
	if err != nil {
		return nil, "", err
	}
	def := st.Def()
	if created != 0 && def.Created.UnixNano() != created {
		return nil, "", errorf(registry.ErrInvalidArgument, "Invalid NextToken.")
	}
	if streamCreated != nil && !streamCreated.Equal(def.Created.Truncate(time.Millisecond)) && streamCreated.Unix() != def.Created.Unix() {
		return nil, "", e.streamNotFound(def.Name)
	}
	if max <= 0 || max > maxListConsumers {
		max = maxListConsumers
	}
	all := append([]index.Consumer(nil), def.Consumers...)
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	var out []Consumer
	token := ""
	for _, c := range all {
		if c.Name <= after {
			continue
		}
		if len(out) == max {
			token = e.encodeToken(listToken{issued: e.cfg.Now(), created: def.Created.UnixNano(), payload: "consumers\x00" + out[len(out)-1].Name})
			break
		}
		out = append(out, consumerOf(c, def.ARN))
	}
	return out, token, nil
}

// consumerTags returns the tags of the consumer arn names, for the
// resource-tag operations.
func (e *Engine) consumerTags(arn string) (map[string]string, error) {
	st, ref, err := e.resolveConsumer(ConsumerRef{ARN: arn})
	if err != nil {
		return nil, err
	}
	def := st.Def()
	i := findConsumer(def, ref)
	if i < 0 {
		return nil, e.consumerNotFound(ref)
	}
	return def.Consumers[i].Tags, nil
}

// updateConsumerTags applies fn to the tags of the consumer arn names.
func (e *Engine) updateConsumerTags(ctx context.Context, arn string, fn func(name string, tags map[string]string) (map[string]string, error)) error {
	st, ref, err := e.resolveConsumer(ConsumerRef{ARN: arn})
	if err != nil {
		return err
	}
	_, err = st.Update(ctx, func(m *index.Stream) error {
		i := findConsumer(m, ref)
		if i < 0 {
			return e.consumerNotFound(ref)
		}
		tags, err := fn(m.Consumers[i].Name, m.Consumers[i].Tags)
		m.Consumers[i].Tags = tags
		return err
	})
	if errors.Is(err, registry.ErrGone) {
		return e.consumerNotFound(ref)
	}
	var re *registry.Error
	if err != nil && !errors.As(err, &re) {
		err = fmt.Errorf("%w: %w", registry.ErrInternal, err)
	}
	return err
}

// wakeConsumers has the consumer loop look at the consumers now.
func (e *Engine) wakeConsumers() {
	select {
	case e.consumerWake <- struct{}{}:
	default:
	}
}

// consumerLoop completes consumer transitions as they fall due. It is
// started by Open and stopped by Close.
func (e *Engine) consumerLoop() {
	defer e.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		wait := time.Hour
		if next := e.advanceConsumers(e.bgCtx); !next.IsZero() {
			wait = max(next.Sub(e.cfg.Now()), time.Millisecond)
		}
		t.Reset(wait)
		select {
		case <-e.done:
			return
		case <-e.consumerWake:
		case <-t.C:
		}
	}
}

// advanceConsumers makes due CREATING consumers ACTIVE and removes due
// DELETING ones, and returns when the next transition falls due (zero when
// none is pending).
func (e *Engine) advanceConsumers(ctx context.Context) time.Time {
	var next time.Time
	later := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, st := range e.reg.All() {
		now := e.cfg.Now()
		due := false
		for _, c := range st.Def().Consumers {
			if c.Status == ConsumerActive {
				continue
			}
			if at := c.Changed.Add(e.cfg.ConsumerDelay); at.After(now) {
				later(at)
			} else {
				due = true
			}
		}
		if !due {
			continue
		}
		_, err := st.Update(ctx, func(m *index.Stream) error {
			kept := m.Consumers[:0]
			for _, c := range m.Consumers {
				if c.Status != ConsumerActive && !c.Changed.Add(e.cfg.ConsumerDelay).After(now) {
					if c.Status == ConsumerDeleting {
						continue
					}
					c.Status, c.Changed = ConsumerActive, now.UTC()
				}
				kept = append(kept, c)
			}
			if len(kept) == 0 {
				kept = nil
			}
			m.Consumers = kept
			return nil
		})
		if err != nil && !errors.Is(err, registry.ErrGone) && ctx.Err() == nil {
			e.cfg.Logger.Warn("datastreams: consumer state change (retried)", "stream", st.Def().Name, "err", err)
			later(now.Add(time.Second))
		}
	}
	return next
}

// IsConsumerARN reports whether arn names a consumer rather than a stream.
func IsConsumerARN(arn string) bool {
	_, _, ok := parseConsumerARN(arn)
	return ok
}

// TagResource adds or overwrites tags of the stream or consumer arn names.
func (e *Engine) TagResource(ctx context.Context, arn string, tags map[string]string) error {
	if !IsConsumerARN(arn) {
		return e.AddTags(StreamRef{ARN: arn}, tags)
	}
	return e.updateConsumerTags(ctx, arn, func(name string, old map[string]string) (map[string]string, error) {
		if err := e.checkTags(name, tags, old, "add"); err != nil {
			return old, err
		}
		if old == nil {
			old = map[string]string{}
		}
		for k, v := range tags {
			old[k] = v
		}
		return old, nil
	})
}

// UntagResource removes tags of the stream or consumer arn names.
func (e *Engine) UntagResource(ctx context.Context, arn string, keys []string) error {
	if !IsConsumerARN(arn) {
		return e.RemoveTags(StreamRef{ARN: arn}, keys)
	}
	return e.updateConsumerTags(ctx, arn, func(name string, old map[string]string) (map[string]string, error) {
		for _, k := range keys {
			delete(old, k)
		}
		if len(old) == 0 {
			old = nil
		}
		return old, nil
	})
}

// ListResourceTags returns the tags of the stream or consumer arn names,
// in key order.
func (e *Engine) ListResourceTags(arn string) ([]Tag, error) {
	if !IsConsumerARN(arn) {
		tags, _, err := e.ListTags(StreamRef{ARN: arn}, "", MaxTagsPerStream)
		return tags, err
	}
	m, err := e.consumerTags(arn)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, Tag{k, m[k]})
	}
	return out, nil
}
