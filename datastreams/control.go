package datastreams

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/fsutil"
	"github.com/shardcast/shardcast/datastreams/seqnum"
	"github.com/shardcast/shardcast/index"
)

// Stream statuses and modes.
const (
	StatusActive    = "ACTIVE"
	ModeProvisioned = "PROVISIONED"
	ModeOnDemand    = "ON_DEMAND"
	EncryptionNone  = "NONE"
	EncryptionKMS   = "KMS"
)

// CreateStreamInput is a CreateStream request. ShardCount 0 means unset.
type CreateStreamInput struct {
	Name             string
	ShardCount       int
	Mode             string // "" means PROVISIONED when ShardCount is set, else ON_DEMAND
	Tags             map[string]string
	MaxRecordSizeKiB int // 0 means the default (1024)
}

// CreateStream creates a stream; it is ACTIVE when this returns.
func (e *Engine) CreateStream(in CreateStreamInput) error {
	mode := in.Mode
	if mode == "" {
		mode = ModeProvisioned
		if in.ShardCount == 0 {
			mode = ModeOnDemand
		}
	}
	shards := in.ShardCount
	switch mode {
	case ModeOnDemand:
		if shards == 0 {
			shards = DefaultOnDemandShards
		}
	case ModeProvisioned:
		if shards == 0 {
			return errorf(ErrInvalidArgument, "ShardCount must be specified for a stream in PROVISIONED mode.")
		}
	}
	if in.MaxRecordSizeKiB == 0 {
		in.MaxRecordSizeKiB = DefaultMaxRecordKiB
	}
	if err := e.checkTags(in.Name, in.Tags, nil, "add"); err != nil {
		return err
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.streams[in.Name]; ok {
		return errorf(ErrResourceInUse, "Stream %s under account %s already exists.", in.Name, e.cfg.Account)
	}
	open, onDemand := e.countsLocked()
	if open+shards > e.cfg.ShardLimit {
		return errorf(ErrLimitExceeded, "This request would exceed the shard limit for the account %s in %s. Current shard count for the account: %d. Limit: %d. Number of additional shards that would have resulted from this request: %d. Refer to the AWS Service Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to request higher limits.",
			e.cfg.Account, e.cfg.Region, open, e.cfg.ShardLimit, shards)
	}
	if mode == ModeOnDemand && onDemand+1 > e.cfg.OnDemandStreamCountLimit {
		return errorf(ErrLimitExceeded, "This request would exceed the on-demand stream limit for the account %s in %s. Limit: %d.",
			e.cfg.Account, e.cfg.Region, e.cfg.OnDemandStreamCountLimit)
	}

	now := e.cfg.Now().UTC()
	// Shards are created a moment before the stream, as AWS numbers show.
	shardCreated := now.Add(-2 * time.Second).Truncate(time.Second)
	meta := &index.Stream{
		Kind: index.KindData, Name: in.Name, ID: newStreamID(), ARN: e.arn(in.Name),
		Created: now, Status: StatusActive, Mode: mode,
		RetentionHours: DefaultRetentionHours, MaxRecordSizeKiB: in.MaxRecordSizeKiB,
		Encryption: index.Encryption{Type: EncryptionNone}, NextShardIndex: shards,
	}
	if len(in.Tags) > 0 {
		meta.Tags = map[string]string{}
		for k, v := range in.Tags {
			meta.Tags[k] = v
		}
	}
	for i, r := range evenRanges(shards) {
		meta.Shards = append(meta.Shards, index.Shard{
			ID: shardID(i), Index: i, StartHash: r[0].String(), EndHash: r[1].String(), Created: shardCreated,
		})
	}
	st := &stream{}
	if e.cfg.Dir != "" {
		st.dir = filepath.Join(e.cfg.Dir, meta.ID)
		if err := os.MkdirAll(st.dir, 0o755); err != nil {
			return fmt.Errorf("datastreams: %w", err)
		}
		if err := fsutil.SyncDir(e.cfg.Dir); err != nil {
			return err
		}
	}
	// The manifest makes the stream exist; a crash before it leaves a
	// directory that the next start removes.
	meta.Version = 0
	if err := e.persist(st, meta); err != nil {
		os.RemoveAll(st.dir)
		return err
	}
	state, err := e.openShards(st, meta)
	if err != nil {
		return err
	}
	st.state.Store(state)
	e.streams[in.Name] = st
	e.cfg.Logger.Info("datastreams: stream created", "stream", in.Name, "shards", shards, "mode", mode)
	return nil
}

func shardID(i int) string { return fmt.Sprintf("shardId-%012d", i) }

// countsLocked returns the open shards and ON_DEMAND streams of the account.
func (e *Engine) countsLocked() (openShards, onDemand int) {
	for _, st := range e.streams {
		s := st.state.Load()
		openShards += len(s.open)
		if s.meta.Mode == ModeOnDemand {
			onDemand++
		}
	}
	return
}

// DeleteStream deletes a stream and its data.
func (e *Engine) DeleteStream(ref StreamRef) error {
	st, name, err := e.resolve(ref)
	if err != nil {
		return err
	}
	e.mu.Lock()
	if e.streams[name] != st {
		e.mu.Unlock()
		return e.streamNotFound(name)
	}
	delete(e.streams, name)
	e.mu.Unlock()

	st.mu.Lock()
	defer st.mu.Unlock()
	state := st.state.Load()
	for _, s := range state.shards {
		s.log.Close()
	}
	if st.dir != "" {
		// Rename first: the next start finishes a delete it finds half done.
		gone := st.dir + deletedSuffix
		if err := os.Rename(st.dir, gone); err != nil {
			return fmt.Errorf("datastreams: delete %s: %w", name, err)
		}
		if err := fsutil.SyncDir(e.cfg.Dir); err != nil {
			return err
		}
		if err := e.cfg.Catalog.DeleteStream(index.KindData, name); err != nil {
			return fmt.Errorf("datastreams: %w", err)
		}
		if err := os.RemoveAll(gone); err != nil {
			e.cfg.Logger.Warn("datastreams: remove deleted stream", "dir", gone, "err", err)
		}
	}
	e.kmu.Lock()
	for k := range e.dataKeys {
		if strings.HasPrefix(k, state.meta.ID+"/") {
			delete(e.dataKeys, k)
		}
	}
	e.kmu.Unlock()
	e.cfg.Logger.Info("datastreams: stream deleted", "stream", name)
	return nil
}

// ShardInfo describes a shard as DescribeStream and ListShards show it.
type ShardInfo struct {
	ID             string
	Parent         string
	AdjacentParent string
	StartHash      string
	EndHash        string
	StartSeq       string
	EndSeq         string // "" while open
}

// StreamDescription is what DescribeStream and DescribeStreamSummary report.
type StreamDescription struct {
	Name             string
	ARN              string
	Status           string
	Mode             string
	Created          time.Time
	RetentionHours   int
	EncryptionType   string
	KeyID            string
	MaxRecordSizeKiB int
	OpenShardCount   int
	ConsumerCount    int
	Shards           []ShardInfo
	HasMoreShards    bool
}

func (e *Engine) shardInfo(s *shardRT) ShardInfo {
	info := ShardInfo{
		ID: s.info.ID, Parent: s.info.Parent, AdjacentParent: s.info.AdjacentParent,
		StartHash: s.info.StartHash, EndHash: s.info.EndHash,
		StartSeq: seqnum.Format(seqnum.Parts{ShardCreated: s.createdSec, ShardIndex: uint32(s.info.Index), Arrival: s.createdSec}),
	}
	if !s.info.Closed.IsZero() {
		info.EndSeq = seqnum.Format(seqnum.Parts{ShardCreated: s.createdSec, ShardIndex: uint32(s.info.Index), Counter: seqnum.MaxCounter, Arrival: s.info.Closed.Unix()})
	}
	return info
}

func describe(state *streamState) StreamDescription {
	m := state.meta
	return StreamDescription{
		Name: m.Name, ARN: m.ARN, Status: m.Status, Mode: m.Mode, Created: m.Created,
		RetentionHours: m.RetentionHours, EncryptionType: m.Encryption.Type, KeyID: m.Encryption.KeyID,
		MaxRecordSizeKiB: m.MaxRecordSizeKiB, OpenShardCount: len(state.open),
	}
}

// DescribeStream describes a stream and up to limit of its shards after
// exclusiveStart (limit is capped at 100).
func (e *Engine) DescribeStream(ref StreamRef, limit int, exclusiveStart string) (StreamDescription, error) {
	st, _, err := e.resolve(ref)
	if err != nil {
		return StreamDescription{}, err
	}
	state := st.state.Load()
	d := describe(state)
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	for _, s := range state.shards {
		if exclusiveStart != "" && s.info.ID <= exclusiveStart {
			continue
		}
		if len(d.Shards) == limit {
			d.HasMoreShards = true
			break
		}
		d.Shards = append(d.Shards, e.shardInfo(s))
	}
	return d, nil
}

// DescribeStreamSummary describes a stream without its shards.
func (e *Engine) DescribeStreamSummary(ref StreamRef) (StreamDescription, error) {
	st, _, err := e.resolve(ref)
	if err != nil {
		return StreamDescription{}, err
	}
	return describe(st.state.Load()), nil
}

// StreamSummary is one entry of ListStreams.
type StreamSummary struct {
	Name    string
	ARN     string
	Status  string
	Mode    string
	Created time.Time
}

// ListStreams lists up to limit streams in name order after
// exclusiveStart, or from where nextToken left off.
func (e *Engine) ListStreams(limit int, exclusiveStart, nextToken string) (list []StreamSummary, more bool, token string, err error) {
	if nextToken != "" {
		t, err := e.decodeToken(nextToken)
		if err != nil || t.created != 0 {
			return nil, false, "", errorf(ErrInvalidArgument, "Invalid NextToken.")
		}
		exclusiveStart = t.payload
	}
	if limit <= 0 {
		limit = 100
	}
	e.mu.RLock()
	names := make([]string, 0, len(e.streams))
	for n := range e.streams {
		if n > exclusiveStart {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) > limit {
		names, more = names[:limit], true
	}
	for _, n := range names {
		m := e.streams[n].state.Load().meta
		list = append(list, StreamSummary{Name: m.Name, ARN: m.ARN, Status: m.Status, Mode: m.Mode, Created: m.Created})
	}
	e.mu.RUnlock()
	if more {
		token = e.encodeToken(listToken{issued: e.cfg.Now(), payload: names[len(names)-1]})
	}
	return list, more, token, nil
}

// ShardFilter selects shards in ListShards.
type ShardFilter struct {
	Type      string // AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP, FROM_TIMESTAMP
	ShardID   string
	Timestamp *time.Time
}

// ListShardsInput is a ListShards request.
type ListShardsInput struct {
	Stream                  StreamRef
	NextToken               string
	ExclusiveStartShardID   string
	MaxResults              int
	StreamCreationTimestamp *time.Time
	Filter                  *ShardFilter
}

// listTokenTTL is how long a ListShards NextToken stays valid.
const listTokenTTL = 5 * time.Minute

// ListShards lists a stream's shards, a page at a time.
func (e *Engine) ListShards(in ListShardsInput) ([]ShardInfo, string, error) {
	if in.NextToken != "" {
		for _, c := range []struct {
			set  bool
			name string
		}{
			{in.Stream.Name != "", "StreamName"}, {in.Stream.ARN != "", "StreamARN"},
			{in.ExclusiveStartShardID != "", "ExclusiveStartShardId"}, {in.Filter != nil, "ShardFilter"},
			{in.StreamCreationTimestamp != nil, "StreamCreationTimestamp"},
		} {
			if c.set {
				return nil, "", errorf(ErrInvalidArgument, "NextToken and %s cannot be provided together.", c.name)
			}
		}
		t, err := e.decodeToken(in.NextToken)
		if err != nil || t.created == 0 {
			return nil, "", errorf(ErrInvalidArgument, "Invalid NextToken.")
		}
		if e.cfg.Now().Sub(t.issued) > listTokenTTL {
			return nil, "", errorf(ErrExpiredNextToken, "The requested token has expired.")
		}
		name, after, filter, ok := parseShardsToken(t.payload)
		if !ok {
			return nil, "", errorf(ErrInvalidArgument, "Invalid NextToken.")
		}
		in.Stream, in.ExclusiveStartShardID, in.Filter = StreamRef{Name: name}, after, filter
		st := e.lookup(name)
		if st == nil || st.state.Load().meta.Created.UnixNano() != t.created {
			return nil, "", e.streamNotFound(name)
		}
	} else if in.Stream.Name == "" && in.Stream.ARN == "" {
		return nil, "", errorf(ErrInvalidArgument, "Either NextToken or StreamName should be provided.")
	}
	st, _, err := e.resolve(in.Stream)
	if err != nil {
		return nil, "", err
	}
	state := st.state.Load()
	if in.StreamCreationTimestamp != nil && !in.StreamCreationTimestamp.Equal(state.meta.Created.Truncate(time.Millisecond)) &&
		in.StreamCreationTimestamp.Unix() != state.meta.Created.Unix() {
		return nil, "", e.streamNotFound(state.meta.Name)
	}
	keep, err := e.shardFilter(state, in.Filter)
	if err != nil {
		return nil, "", err
	}
	max := in.MaxResults
	if max <= 0 || max > 1000 {
		max = 1000
	}
	var out []ShardInfo
	var token string
	for _, s := range state.shards {
		if in.ExclusiveStartShardID != "" && s.info.ID <= in.ExclusiveStartShardID {
			continue
		}
		if !keep(s) {
			continue
		}
		if len(out) == max {
			token = e.encodeToken(listToken{issued: e.cfg.Now(), created: state.meta.Created.UnixNano(),
				payload: shardsToken(state.meta.Name, out[len(out)-1].ID, in.Filter)})
			break
		}
		out = append(out, e.shardInfo(s))
	}
	return out, token, nil
}

// shardFilter returns the predicate of a ListShards filter.
func (e *Engine) shardFilter(state *streamState, f *ShardFilter) (func(*shardRT) bool, error) {
	retention := time.Duration(state.meta.RetentionHours) * time.Hour
	horizon := e.cfg.Now().Add(-retention)
	openAt := func(s *shardRT, t time.Time) bool {
		return !s.info.Created.After(t) && (s.info.Closed.IsZero() || s.info.Closed.After(t))
	}
	notExpired := func(s *shardRT) bool { return s.info.Closed.IsZero() || s.info.Closed.After(horizon) }
	if f == nil {
		return notExpired, nil
	}
	switch f.Type {
	case "FROM_TRIM_HORIZON":
		return notExpired, nil
	case "AT_TRIM_HORIZON":
		return func(s *shardRT) bool {
			return openAt(s, horizon) || (s.info.Created.After(horizon) && s.info.Parent == "")
		}, nil
	case "AT_LATEST":
		return func(s *shardRT) bool { return s.info.Closed.IsZero() }, nil
	case "AFTER_SHARD_ID":
		if f.ShardID == "" {
			return nil, errorf(ErrInvalidArgument, "ShardId must be specified when ShardFilter type is AFTER_SHARD_ID.")
		}
		return func(s *shardRT) bool { return s.info.ID > f.ShardID && notExpired(s) }, nil
	case "AT_TIMESTAMP", "FROM_TIMESTAMP":
		if f.Timestamp == nil {
			return nil, errorf(ErrInvalidArgument, "Timestamp must be specified when ShardFilter type is %s.", f.Type)
		}
		ts := *f.Timestamp
		if ts.Before(state.meta.Created) {
			ts = state.meta.Created
		}
		if f.Type == "AT_TIMESTAMP" {
			return func(s *shardRT) bool { return openAt(s, ts) }, nil
		}
		return func(s *shardRT) bool { return openAt(s, ts) || s.info.Created.After(ts) }, nil
	}
	return nil, errorf(ErrInvalidArgument, "Unknown ShardFilter type %s.", f.Type)
}

func shardsToken(stream, after string, f *ShardFilter) string {
	p := stream + "\x00" + after
	if f != nil {
		ts := ""
		if f.Timestamp != nil {
			ts = fmt.Sprint(f.Timestamp.UnixNano())
		}
		p += "\x00" + f.Type + "\x00" + f.ShardID + "\x00" + ts
	}
	return p
}

func parseShardsToken(p string) (stream, after string, f *ShardFilter, ok bool) {
	parts := strings.Split(p, "\x00")
	switch len(parts) {
	case 2:
		return parts[0], parts[1], nil, true
	case 5:
		f = &ShardFilter{Type: parts[2], ShardID: parts[3]}
		if parts[4] != "" {
			var ns int64
			if _, err := fmt.Sscan(parts[4], &ns); err != nil {
				return "", "", nil, false
			}
			t := time.Unix(0, ns)
			f.Timestamp = &t
		}
		return parts[0], parts[1], f, true
	}
	return "", "", nil, false
}

// errUnchanged tells update that fn changed nothing worth persisting.
var errUnchanged = errors.New("unchanged")

// update applies fn to a copy of the stream's definition under the stream's
// lock, persists it and publishes it. fn may refuse with an error.
func (e *Engine) update(ref StreamRef, needActive bool, fn func(meta *index.Stream) error) (*streamState, error) {
	st, name, err := e.resolve(ref)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if e.lookup(name) != st {
		return nil, e.streamNotFound(name)
	}
	old := st.state.Load()
	if needActive && old.meta.Status != StatusActive {
		return nil, e.notActive(name, old.meta.Status)
	}
	meta := old.meta.Clone()
	if err := fn(meta); errors.Is(err, errUnchanged) {
		return old, nil
	} else if err != nil {
		return nil, err
	}
	if err := e.persist(st, meta); err != nil {
		return nil, err
	}
	next := &streamState{meta: meta, shards: old.shards, open: old.open}
	st.state.Store(next)
	return next, nil
}

// SetRetention changes the retention period. increase says which API was
// called: IncreaseStreamRetentionPeriod may not shorten it, Decrease may
// not lengthen it.
func (e *Engine) SetRetention(ref StreamRef, hours int, increase bool) error {
	_, err := e.update(ref, true, func(m *index.Stream) error {
		switch {
		case hours < MinRetentionHours:
			return errorf(ErrInvalidArgument, "Minimum allowed retention period is %d hours. Requested retention period (%d hours) is too short.", MinRetentionHours, hours)
		case hours > MaxRetentionHours:
			return errorf(ErrInvalidArgument, "Maximum allowed retention period is %d hours. Requested retention period (%d hours) is too long.", MaxRetentionHours, hours)
		case increase && hours < m.RetentionHours:
			return errorf(ErrInvalidArgument, "Requested retention period (%d hours) for stream %s can not be shorter than existing retention period (%d hours). Use DecreaseRetentionPeriod API.", hours, m.Name, m.RetentionHours)
		case !increase && hours > m.RetentionHours:
			return errorf(ErrInvalidArgument, "Requested retention period (%d hours) for stream %s can not be longer than existing retention period (%d hours). Use IncreaseRetentionPeriod API.", hours, m.Name, m.RetentionHours)
		}
		m.RetentionHours = hours
		return nil
	})
	return err
}

// checkTags validates tag keys and values for AddTagsToStream (op "add") or
// RemoveTagsFromStream ("remove"), and the resulting count.
func (e *Engine) checkTags(stream string, tags map[string]string, existing map[string]string, op string) error {
	valid := func(s string) bool {
		for _, r := range s {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Zs, r) && !strings.ContainsRune("_./=+-%@:", r) {
				return false
			}
		}
		return true
	}
	for k, v := range tags {
		if !valid(k) || !valid(v) {
			return errorf(ErrInvalidArgument, "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - %% @ :.")
		}
	}
	for k, v := range tags {
		if strings.Contains(k, "%") || strings.Contains(v, "%") {
			verb := "add tags to"
			if op == "remove" {
				verb = "remove tags from"
			}
			return errorf(ErrInvalidArgument, "Failed to %s stream %s under account %s because some tags contained illegal characters. The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@',':'.", verb, stream, e.cfg.Account)
		}
	}
	if op == "add" {
		n := len(existing)
		for k := range tags {
			if _, ok := existing[k]; !ok {
				n++
			}
		}
		if n > MaxTagsPerStream {
			return errorf(ErrInvalidArgument, "Failed to add tags to stream %s under account %s because a given stream cannot have more than %d tags associated with it.", stream, e.cfg.Account, MaxTagsPerStream)
		}
	}
	return nil
}

// AddTags adds or overwrites tags.
func (e *Engine) AddTags(ref StreamRef, tags map[string]string) error {
	_, err := e.update(ref, true, func(m *index.Stream) error {
		if err := e.checkTags(m.Name, tags, m.Tags, "add"); err != nil {
			return err
		}
		if m.Tags == nil {
			m.Tags = map[string]string{}
		}
		for k, v := range tags {
			m.Tags[k] = v
		}
		return nil
	})
	return err
}

// RemoveTags removes tags; absent keys are ignored.
func (e *Engine) RemoveTags(ref StreamRef, keys []string) error {
	_, err := e.update(ref, true, func(m *index.Stream) error {
		asMap := map[string]string{}
		for _, k := range keys {
			asMap[k] = ""
		}
		if err := e.checkTags(m.Name, asMap, nil, "remove"); err != nil {
			return err
		}
		for _, k := range keys {
			delete(m.Tags, k)
		}
		return nil
	})
	return err
}

// Tag is a key and value.
type Tag struct{ Key, Value string }

// ListTags returns up to limit tags in key order after exclusiveStart.
func (e *Engine) ListTags(ref StreamRef, exclusiveStart string, limit int) ([]Tag, bool, error) {
	st, _, err := e.resolve(ref)
	if err != nil {
		return nil, false, err
	}
	m := st.state.Load().meta
	keys := make([]string, 0, len(m.Tags))
	for k := range m.Tags {
		if k > exclusiveStart {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if limit <= 0 {
		limit = MaxTagsPerStream
	}
	more := len(keys) > limit
	if more {
		keys = keys[:limit]
	}
	tags := make([]Tag, 0, len(keys))
	for _, k := range keys {
		tags = append(tags, Tag{k, m.Tags[k]})
	}
	return tags, more, nil
}

// StartEncryption makes new records of the stream sealed with a data key
// under the master key keyRef (any KMS key reference form; alias/aws/kinesis
// is the default key).
func (e *Engine) StartEncryption(ref StreamRef, encType, keyRef string) error {
	if encType != EncryptionKMS {
		return errorf(ErrInvalidArgument, "KMS is the only valid EncryptionType for this request.")
	}
	keyID, err := e.cfg.Keyring.Resolve(keyRef)
	if err != nil {
		return e.kmsNotFound(keyRef, err)
	}
	state, err := e.update(ref, true, func(m *index.Stream) error {
		if m.Encryption.Type == EncryptionKMS && m.Encryption.KeyVersion != 0 {
			if cur := m.DataKeys[len(m.DataKeys)-1]; cur.KeyID == keyID {
				m.Encryption.KeyID = keyRef
				return nil // same master key: keep the data key
			}
		}
		dk, err := e.cfg.Keyring.GenerateDataKey(keyID)
		if err != nil {
			return e.kmsNotFound(keyRef, err)
		}
		ver := uint32(len(m.DataKeys) + 1)
		m.DataKeys = append(m.DataKeys, index.DataKey{Version: ver, KeyID: dk.KeyID, Wrapped: dk.Wrapped, Created: e.cfg.Now().UTC()})
		m.Encryption = index.Encryption{Type: EncryptionKMS, KeyID: keyRef, KeyVersion: ver}
		return nil
	})
	if err != nil {
		return err
	}
	for _, s := range state.shards {
		s.log.SetKey(state.meta.Encryption.KeyVersion)
	}
	e.cfg.Logger.Info("datastreams: encryption started", "stream", state.meta.Name, "key", keyRef, "data_key_version", state.meta.Encryption.KeyVersion)
	return nil
}

func (e *Engine) kmsNotFound(keyRef string, err error) error {
	if !errors.Is(err, envelope.ErrKeyNotFound) {
		return fmt.Errorf("%w: %w", ErrInternal, err)
	}
	if strings.HasPrefix(keyRef, "alias/") {
		return errorf(ErrKMSNotFound, "Alias arn:aws:kms:%s:%s:%s is not found.", e.cfg.Region, e.cfg.Account, keyRef)
	}
	return errorf(ErrKMSNotFound, "Key '%s' does not exist", keyRef)
}

// StopEncryption makes new records of the stream stored in plaintext.
// Records already sealed stay sealed and readable.
func (e *Engine) StopEncryption(ref StreamRef, encType, keyRef string) error {
	if encType != EncryptionKMS {
		return errorf(ErrInvalidArgument, "KMS is the only valid EncryptionType for this request.")
	}
	if _, err := e.cfg.Keyring.Resolve(keyRef); err != nil {
		return e.kmsNotFound(keyRef, err)
	}
	state, err := e.update(ref, true, func(m *index.Stream) error {
		m.Encryption = index.Encryption{Type: EncryptionNone}
		return nil
	})
	if err != nil {
		return err
	}
	for _, s := range state.shards {
		s.log.SetKey(0)
	}
	e.cfg.Logger.Info("datastreams: encryption stopped", "stream", state.meta.Name)
	return nil
}

// RotateMasterKey adds a new version of a master key and re-wraps every
// data key it protects; no record is rewritten. It returns how many data
// keys were re-wrapped.
func (e *Engine) RotateMasterKey(keyRef string) (int, error) {
	keyID, err := e.cfg.Keyring.Resolve(keyRef)
	if err != nil {
		return 0, e.kmsNotFound(keyRef, err)
	}
	if _, err := e.cfg.Keyring.Rotate(keyID); err != nil {
		return 0, err
	}
	e.mu.RLock()
	var refs []StreamRef
	for name := range e.streams {
		refs = append(refs, StreamRef{Name: name})
	}
	e.mu.RUnlock()
	n := 0
	for _, ref := range refs {
		_, err := e.update(ref, false, func(m *index.Stream) error {
			before := n
			for i, dk := range m.DataKeys {
				if dk.KeyID != keyID {
					continue
				}
				w, changed, err := e.cfg.Keyring.Rewrap(dk.Wrapped)
				if err != nil {
					return err
				}
				if changed {
					m.DataKeys[i].Wrapped = w
					n++
				}
			}
			if n == before {
				return errUnchanged
			}
			return nil
		})
		if err != nil && !errors.Is(err, ErrResourceNotFound) {
			return n, err
		}
	}
	return n, nil
}

// Limits is what DescribeLimits reports.
type Limits struct {
	ShardLimit               int
	OpenShardCount           int
	OnDemandStreamCount      int
	OnDemandStreamCountLimit int
}

// DescribeLimits reports the account's shard and stream limits and usage.
func (e *Engine) DescribeLimits() Limits {
	e.mu.RLock()
	defer e.mu.RUnlock()
	open, onDemand := e.countsLocked()
	return Limits{ShardLimit: e.cfg.ShardLimit, OpenShardCount: open, OnDemandStreamCount: onDemand, OnDemandStreamCountLimit: e.cfg.OnDemandStreamCountLimit}
}
