package firehose

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)

// firstDestinationID is the id of a stream's only destination.
const firstDestinationID = "destinationId-000000000001"

func errorf(kind error, format string, args ...any) error {
	return registry.Errorf(kind, format, args...)
}

func (e *Engine) notFound(name string) error {
	return errorf(registry.ErrResourceNotFound, "Firehose %s under account %s not found.", name, e.cfg.Account)
}

// ARN returns the ARN of the delivery stream name.
func (e *Engine) ARN(name string) string {
	return fmt.Sprintf("arn:aws:firehose:%s:%s:deliverystream/%s", e.cfg.Region, e.cfg.Account, name)
}

func (e *Engine) get(name string) (*registry.Stream[*stream], error) {
	s := e.reg.Get(name)
	if s == nil {
		return nil, e.notFound(name)
	}
	return s, nil
}

// Create creates a delivery stream and returns its ARN.
func (e *Engine) Create(ctx context.Context, in CreateInput) (string, error) {
	if !nameRE.MatchString(in.Name) {
		return "", errorf(registry.ErrValidation, "1 validation error detected: Value '%s' at 'deliveryStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", in.Name)
	}
	if in.Type == "" {
		in.Type = TypeDirectPut
	}
	switch in.Type {
	case TypeDirectPut:
		if in.Source != nil {
			return "", errorf(registry.ErrInvalidArgument, "KinesisSourceStreamConfig is only applicable for KinesisStreamAsSource stream type.")
		}
	case TypeKinesisSource:
		if in.Source == nil || in.Source.KinesisStreamARN == "" {
			return "", errorf(registry.ErrInvalidArgument, "KinesisSourceStreamConfig is required for KinesisStreamAsSource stream type.")
		}
		if in.Encryption != nil {
			return "", errorf(registry.ErrInvalidArgument, "Server-side encryption is only supported for DirectPut delivery streams.")
		}
		if e.cfg.Sources == nil {
			return "", errorf(registry.ErrInvalidArgument, "KinesisStreamAsSource is not available on this server.")
		}
	default:
		return "", errorf(registry.ErrInvalidArgument, "DeliveryStreamType %s is not supported by this server.", in.Type)
	}
	if err := checkTags(in.Tags, 0); err != nil {
		return "", err
	}
	in.Destination.ID = firstDestinationID
	if err := e.check(in.Destination, e.ARN(in.Name), in.Source); err != nil {
		return "", err
	}
	now := e.cfg.Now()
	st := &stored{Type: in.Type, VersionID: 1, Source: in.Source, Destinations: []DestinationConfig{in.Destination}}
	def := &index.Stream{Name: in.Name, ARN: e.ARN(in.Name), Created: now, Status: StatusActive, Tags: map[string]string{}}
	if e.cfg.CreateDelay > 0 {
		def.Status = StatusCreating
	}
	for _, t := range in.Tags {
		def.Tags[t.Key] = deref(t.Value)
	}
	if in.Encryption != nil {
		keyID, err := e.resolveKey(*in.Encryption)
		if err != nil {
			return "", err
		}
		ver, err := e.reg.NewDataKey(def, keyID)
		if err != nil {
			return "", fmt.Errorf("%w: %w", registry.ErrInternal, err)
		}
		def.Encryption = index.Encryption{Type: "KMS", KeyID: in.Encryption.KeyARN, KeyVersion: ver}
		st.KeyType, st.KeyARN = in.Encryption.KeyType, in.Encryption.KeyARN
	}
	if in.Type == TypeKinesisSource {
		cps, err := e.sourceStart(ctx, in.Source.KinesisStreamARN)
		if err != nil {
			return "", err
		}
		// Whole milliseconds: arrival times of data records are kept to the
		// millisecond, and a record put after the create must not fall before.
		st.SourceCheckpoints, st.SourceStart = cps, now.Truncate(time.Millisecond)
	}
	st.encode(def)
	s, err := e.reg.Create(ctx, def, func() error {
		if len(e.reg.All()) >= e.cfg.StreamLimit {
			return errorf(registry.ErrLimitExceeded, "You have already consumed your limit of %d delivery streams.", e.cfg.StreamLimit)
		}
		return nil
	})
	if errors.Is(err, registry.ErrExists) {
		return "", errorf(registry.ErrResourceInUse, "Firehose %s under accountId %s already exists", in.Name, e.cfg.Account)
	}
	if err != nil {
		return "", err
	}
	e.start(s)
	if e.cfg.CreateDelay > 0 {
		go func() {
			select {
			case <-e.ctx.Done():
				return
			case <-time.After(e.cfg.CreateDelay):
			}
			s.Update(e.ctx, func(d *index.Stream) error {
				if d.Status != StatusCreating {
					return registry.ErrUnchanged
				}
				d.Status = StatusActive
				return nil
			})
		}()
	}
	e.cfg.Logger.Info("firehose: delivery stream created", "stream", in.Name, "destination", in.Destination.Kind)
	return def.ARN, nil
}

// check validates a destination (and its S3 backup) by building its parts.
func (e *Engine) check(dc DestinationConfig, arn string, src *KinesisStreamSourceConfiguration) error {
	source := ""
	if src != nil {
		source = src.KinesisStreamARN
	}
	for _, d := range deliveries(&stored{Destinations: []DestinationConfig{dc}}) {
		p, err := e.plan(d, arn, source)
		if err != nil {
			return err
		}
		p.close()
	}
	return nil
}

// Delete deletes a delivery stream.
func (e *Engine) Delete(ctx context.Context, name string) error {
	s, err := e.get(name)
	if err != nil {
		return err
	}
	if s.Def().Status == StatusCreating {
		return errorf(registry.ErrResourceInUse, "Firehose %s under account %s is in CREATING state, cannot be deleted.", name, e.cfg.Account)
	}
	s.Runtime().stop()
	if err := e.reg.Delete(ctx, s, nil); err != nil {
		if errors.Is(err, registry.ErrGone) {
			return e.notFound(name)
		}
		return err
	}
	e.cfg.Logger.Info("firehose: delivery stream deleted", "stream", name)
	return nil
}

// List lists delivery stream names in order after exclusiveStart.
func (e *Engine) List(limit int, typ, exclusiveStart string) ([]string, bool) {
	if limit <= 0 {
		limit = 10
	}
	names := []string{}
	more := false
	for _, s := range e.reg.All() {
		d := s.Def()
		if d.Name <= exclusiveStart {
			continue
		}
		if typ != "" && mustStored(d).Type != typ {
			continue
		}
		if len(names) == limit {
			more = true
			break
		}
		names = append(names, d.Name)
	}
	return names, more
}

// Update changes a destination (UpdateDestination).
func (e *Engine) Update(ctx context.Context, in UpdateInput) error {
	s, err := e.get(in.Name)
	if err != nil {
		return err
	}
	_, err = s.Update(ctx, func(def *index.Stream) error {
		st, err := decodeStored(def)
		if err != nil {
			return err
		}
		if strconv.Itoa(st.VersionID) != in.CurrentVersion {
			return errorf(registry.ErrVersionMismatch, "Current delivery stream version ID %s does not match the latest version ID %d.", in.CurrentVersion, st.VersionID)
		}
		i := -1
		for j, d := range st.Destinations {
			if d.ID == in.DestinationID {
				i = j
			}
		}
		if i < 0 {
			return errorf(registry.ErrInvalidArgument, "Destination Id %s not found.", in.DestinationID)
		}
		old := st.Destinations[i]
		cfg := renameUpdate(in.Update)
		kind := in.Kind
		if kind == old.Kind || (kind == DestS3 && old.Kind == DestExtendedS3) {
			merged, err := mergeJSON(old.Config, cfg)
			if err != nil {
				return errorf(registry.ErrInvalidArgument, "Invalid destination update: %v", err)
			}
			cfg, kind = merged, old.Kind
		} else if old.Kind == DestOpenSearch || old.Kind == DestElasticsearch {
			return errorf(registry.ErrInvalidArgument, "%s destination can only be updated to the same destination type.", old.Kind)
		}
		nd := DestinationConfig{ID: old.ID, Kind: kind, Config: cfg}
		if err := e.check(nd, def.ARN, st.Source); err != nil {
			return err
		}
		st.Destinations[i] = nd
		st.VersionID++
		st.LastUpdate = e.cfg.Now()
		st.encode(def)
		return nil
	})
	if err != nil {
		return err
	}
	e.restart(s)
	return nil
}

// renameUpdate turns an <X>DestinationUpdate's member names into the
// configuration's.
func renameUpdate(b json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return b
	}
	for from, to := range map[string]string{"S3Update": "S3Configuration", "S3BackupUpdate": "S3BackupConfiguration"} {
		if v, ok := m[from]; ok {
			m[to] = v
			delete(m, from)
		}
	}
	out, _ := json.Marshal(m)
	return out
}

// mergeJSON merges patch into base: members absent from patch keep their
// values; objects merge member by member.
func mergeJSON(base, patch json.RawMessage) (json.RawMessage, error) {
	var b, p any
	if err := json.Unmarshal(base, &b); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, err
	}
	out, err := json.Marshal(merge(b, p))
	return out, err
}

func merge(b, p any) any {
	bm, ok1 := b.(map[string]any)
	pm, ok2 := p.(map[string]any)
	if !ok1 || !ok2 {
		return p
	}
	for k, v := range pm {
		bm[k] = merge(bm[k], v)
	}
	return bm
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// checkTags validates tags to add to a stream that has have of them.
func checkTags(tags []Tag, have int) error {
	if len(tags) > 50 || have > 50 {
		return errorf(registry.ErrLimitExceeded, "A delivery stream cannot have more than 50 tags.")
	}
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 {
			return errorf(registry.ErrValidation, "1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128", t.Key)
		}
		if strings.HasPrefix(t.Key, "aws:") {
			return errorf(registry.ErrInvalidArgument, "Tag keys cannot start with the aws: prefix: %s", t.Key)
		}
		if len(deref(t.Value)) > 256 {
			return errorf(registry.ErrValidation, "1 validation error detected: Value at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256")
		}
	}
	return nil
}

// Tag adds or replaces tags.
func (e *Engine) Tag(ctx context.Context, name string, tags []Tag) error {
	s, err := e.get(name)
	if err != nil {
		return err
	}
	if err := checkTags(tags, 0); err != nil {
		return err
	}
	_, err = s.Update(ctx, func(def *index.Stream) error {
		if def.Tags == nil {
			def.Tags = map[string]string{}
		}
		for _, t := range tags {
			def.Tags[t.Key] = deref(t.Value)
		}
		if len(def.Tags) > 50 {
			return errorf(registry.ErrLimitExceeded, "A delivery stream cannot have more than 50 tags.")
		}
		return nil
	})
	return err
}

// Untag removes tags; unknown keys are ignored.
func (e *Engine) Untag(ctx context.Context, name string, keys []string) error {
	s, err := e.get(name)
	if err != nil {
		return err
	}
	_, err = s.Update(ctx, func(def *index.Stream) error {
		for _, k := range keys {
			delete(def.Tags, k)
		}
		return nil
	})
	return err
}

// ListTags lists tags by key after exclusiveStart.
func (e *Engine) ListTags(name, exclusiveStart string, limit int) ([]Tag, bool, error) {
	s, err := e.get(name)
	if err != nil {
		return nil, false, err
	}
	if limit <= 0 {
		limit = 50
	}
	def := s.Def()
	keys := make([]string, 0, len(def.Tags))
	for k := range def.Tags {
		if k > exclusiveStart {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := []Tag{}
	for _, k := range keys {
		if len(out) == limit {
			return out, true, nil
		}
		v := def.Tags[k]
		out = append(out, Tag{Key: k, Value: &v})
	}
	return out, false, nil
}
