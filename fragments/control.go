package fragments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

// The control plane of video streams: create, list, update, retention,
// tags and delete, as the KVS stream operations do them.

// CreateInput is a CreateStream request.
type CreateInput struct {
	Name           string
	DeviceName     string
	MediaType      string
	KmsKeyID       string // "" means the default key (aws/kinesisvideo)
	RetentionHours int
	Tags           map[string]string
}

// CreateStream creates a video stream; it is ACTIVE when this returns. Every
// video stream is encrypted at rest under a data key of its KMS key.
func (s *Store) CreateStream(in CreateInput) (string, error) {
	if err := CheckStreamName(in.Name); err != nil {
		return "", err
	}
	if in.RetentionHours < 0 || in.RetentionHours > MaxRetentionHours {
		return "", errorf(registry.ErrInvalidArgument, "DataRetentionInHours must be between 0 and %d.", MaxRetentionHours)
	}
	if len(in.Tags) > MaxTags {
		return "", errorf(registry.ErrTagsLimit, "The request would exceed the maximum of %d tags per stream.", MaxTags)
	}
	kms := in.KmsKeyID
	if kms == "" {
		kms = fmt.Sprintf("arn:aws:kms:%s:%s:alias/%s", s.cfg.Region, s.cfg.Account, defaultKMSAlias)
	}
	keyID, err := s.cfg.Keyring.Resolve(kms)
	if err != nil {
		if errors.Is(err, envelope.ErrKeyNotFound) {
			return "", errorf(registry.ErrKMSNotFound, "KMS key %s is not found.", kms)
		}
		return "", fmt.Errorf("%w: %w", registry.ErrInternal, err)
	}
	now := s.cfg.Now().UTC()
	extra, _ := json.Marshal(videoExtra{DeviceName: in.DeviceName, MediaType: in.MediaType, KmsKeyID: kms})
	meta := &index.Stream{Kind: index.KindVideo, Name: in.Name, ARN: s.arn(in.Name, now), Created: now,
		Status: "ACTIVE", RetentionHours: in.RetentionHours, Extra: extra, Tags: copyTags(in.Tags),
		Shards: []index.Shard{{ID: logName, Created: now, StartHash: "0", EndHash: "0"}}}
	ver, err := s.reg.NewDataKey(meta, keyID)
	if err != nil {
		return "", fmt.Errorf("%w: %w", registry.ErrInternal, err)
	}
	meta.Encryption = index.Encryption{Type: "KMS", KeyID: kms, KeyVersion: ver}
	_, err = s.reg.Create(context.Background(), meta, func() error {
		if len(s.reg.All()) >= s.cfg.StreamLimit {
			return errorf(registry.ErrStreamLimit, "The account has reached its limit of %d streams.", s.cfg.StreamLimit)
		}
		return nil
	})
	if errors.Is(err, registry.ErrExists) {
		return "", errorf(registry.ErrResourceInUse, "The stream %s already exists.", in.Name)
	}
	if err != nil {
		return "", internal(err)
	}
	s.cfg.Logger.Info("fragments: video stream created", "stream", in.Name, "retention_hours", in.RetentionHours)
	return meta.ARN, nil
}

// internal passes a *registry.Error on and makes anything else an internal failure.
func internal(err error) error {
	var re *registry.Error
	if errors.As(err, &re) {
		return err
	}
	return fmt.Errorf("%w: %w", registry.ErrInternal, err)
}

func copyTags(t map[string]string) map[string]string {
	if len(t) == 0 {
		return nil
	}
	c := make(map[string]string, len(t))
	for k, v := range t {
		c[k] = v
	}
	return c
}

// ListStreams returns up to max streams whose names begin with prefix, in
// name order, after the name token encodes.
func (s *Store) ListStreams(max int, token, prefix string) ([]Info, string, error) {
	after := ""
	if token != "" {
		var err error
		if after, err = decodeNameToken(token); err != nil {
			return nil, "", errorf(registry.ErrInvalidArgument, "Invalid NextToken.")
		}
	}
	if max <= 0 {
		max = 10000
	}
	var list []*Stream
	for _, st := range s.all() {
		if n := st.def().Name; n > after && strings.HasPrefix(n, prefix) {
			list = append(list, st)
		}
	}
	next := ""
	if len(list) > max {
		list, next = list[:max], encodeNameToken(list[max-1].def().Name)
	}
	out := make([]Info, 0, len(list))
	for _, st := range list {
		out = append(out, st.Info())
	}
	return out, next, nil
}

// update applies fn to a copy of the stream's definition, checking the
// version the caller saw when given, and persists it.
func (st *Stream) update(version string, fn func(m *index.Stream) error) error {
	_, err := st.entry.Update(context.Background(), func(m *index.Stream) error {
		if version != "" && version != strconv.FormatInt(m.Version, 10) {
			return errorf(registry.ErrVersionMismatch, "The stream version %s is not the latest version.", version)
		}
		return fn(m)
	})
	if errors.Is(err, registry.ErrGone) {
		return notFound()
	}
	if err != nil {
		return internal(err)
	}
	return nil
}

// DeleteStream deletes a stream and its fragments. version, when set, must
// be the current one.
func (s *Store) DeleteStream(ref StreamRef, version string) error {
	st, err := s.Lookup(ref)
	if err != nil {
		return err
	}
	// A delete that failed leaves the stream listed (its log closed), so
	// that a retry finds and finishes it.
	err = s.reg.Delete(context.Background(), st.entry, func(m *index.Stream) error {
		if version != "" && version != strconv.FormatInt(m.Version, 10) {
			return errorf(registry.ErrVersionMismatch, "The stream version %s is not the latest version.", version)
		}
		st.dropHeld()
		s.ix.drop(m.ID)
		if mi, ok := s.idx.(*memIndex); ok {
			mi.drop(m.ID)
		}
		return nil
	})
	if errors.Is(err, registry.ErrGone) {
		return notFound()
	}
	if err != nil {
		return internal(err)
	}
	s.cfg.Logger.Info("fragments: video stream deleted", "stream", st.def().Name)
	return nil
}

// UpdateStream changes the device name and media type.
func (st *Stream) UpdateStream(version string, device, mediaType *string) error {
	return st.update(version, func(m *index.Stream) error {
		x := extraOf(m)
		if device != nil {
			x.DeviceName = *device
		}
		if mediaType != nil {
			x.MediaType = *mediaType
		}
		m.Extra, _ = json.Marshal(x)
		return nil
	})
}

// UpdateRetention changes retention by delta hours (negative to decrease).
// Going to 0 drops what is stored and keeps only a live buffer in memory;
// leaving 0 starts storing from the next fragment on.
func (st *Stream) UpdateRetention(version string, delta int) error {
	var from, to int
	err := st.update(version, func(m *index.Stream) error {
		from, to = m.RetentionHours, m.RetentionHours+delta
		if to < 0 || to > MaxRetentionHours {
			return errorf(registry.ErrInvalidArgument, "The resulting data retention %d hours is outside 0 to %d hours.", to, MaxRetentionHours)
		}
		m.RetentionHours = to
		return nil
	})
	if err != nil || (from == 0) == (to == 0) {
		if err == nil && to < from {
			st.s.enforce(st)
		}
		return err
	}
	// Switch between the durable log and the memory buffer (when no later
	// update switched back meanwhile).
	err = st.entry.Exclusive(func(m *index.Stream) error {
		ctx := context.Background()
		old := st.log.Load()
		if old.memory == (m.RetentionHours == 0) {
			return nil
		}
		next := old.Bounds().Next
		old.Close()
		if err := st.entry.RemoveLog(ctx, logName, old.memory); err != nil {
			return err
		}
		if err := st.openLog(ctx, next); err != nil {
			return err
		}
		st.s.ix.flush()
		st.s.idx.TrimFragments(m.ID, next)
		return nil
	})
	if errors.Is(err, registry.ErrGone) {
		return notFound()
	}
	return err
}

// AddTags adds or replaces tags.
func (st *Stream) AddTags(tags map[string]string) error {
	return st.update("", func(m *index.Stream) error {
		n := len(m.Tags)
		for k := range tags {
			if _, ok := m.Tags[k]; !ok {
				n++
			}
		}
		if n > MaxTags {
			return errorf(registry.ErrTagsLimit, "The request would exceed the maximum of %d tags per stream.", MaxTags)
		}
		if m.Tags == nil {
			m.Tags = map[string]string{}
		}
		for k, v := range tags {
			m.Tags[k] = v
		}
		return nil
	})
}

// RemoveTags removes tags; unknown keys are ignored.
func (st *Stream) RemoveTags(keys []string) error {
	return st.update("", func(m *index.Stream) error {
		for _, k := range keys {
			delete(m.Tags, k)
		}
		return nil
	})
}
