package analytics

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

// Service limits, as AWS documents them.
const (
	maxInputs     = 1
	maxOutputs    = 3
	maxReferences = 1
	maxTags       = 50
)

// Create adds an application, READY.
func (m *Manager) Create(ctx context.Context, in CreateInput) (Summary, error) {
	now := m.cfg.Now().UTC()
	st := &stored{Description: in.Description, Code: in.Code, VersionID: 1, Updated: now}
	if len(in.Inputs) > maxInputs {
		return Summary{}, errorf(registry.ErrLimitExceeded, "An application can have at most %d input.", maxInputs)
	}
	if len(in.Outputs) > maxOutputs {
		return Summary{}, errorf(registry.ErrLimitExceeded, "An application can have at most %d outputs.", maxOutputs)
	}
	for _, x := range in.Inputs {
		if err := m.checkInput(&x); err != nil {
			return Summary{}, err
		}
		st.Inputs = append(st.Inputs, storedInput{ID: st.nextID("input"), Input: x})
	}
	for _, x := range in.Outputs {
		if err := m.checkOutput(st, &x, ""); err != nil {
			return Summary{}, err
		}
		st.Outputs = append(st.Outputs, storedOutput{ID: st.nextID("output"), Output: x})
	}
	for _, x := range in.Logging {
		st.Logging = append(st.Logging, storedLogging{ID: st.nextID("logging"), CloudWatchLoggingOption: x})
	}
	tags, err := tagMap(nil, in.Tags)
	if err != nil {
		return Summary{}, err
	}
	if _, err := st.compile(m, nil); err != nil {
		return Summary{}, err
	}
	def := &index.Stream{Name: in.Name, ARN: m.arn(in.Name), Created: now, Status: StatusReady, Tags: tags}
	st.encode(def)
	_, err = m.reg.Create(ctx, def, func() error {
		if len(m.reg.All()) >= m.cfg.ApplicationLimit {
			return errorf(registry.ErrLimitExceeded, "The account has %d applications, its limit.", m.cfg.ApplicationLimit)
		}
		return nil
	})
	if errors.Is(err, registry.ErrExists) {
		return Summary{}, errorf(registry.ErrResourceInUse, "Application %s already exists.", in.Name)
	}
	if err != nil {
		return Summary{}, err
	}
	return Summary{ApplicationName: in.Name, ApplicationARN: def.ARN, ApplicationStatus: StatusReady}, nil
}

// Describe returns an application's detail.
func (m *Manager) Describe(name string) (Detail, error) {
	s, err := m.lookup(name)
	if err != nil {
		return Detail{}, err
	}
	def := s.Def()
	st := mustStored(def)
	d := Detail{ApplicationName: def.Name, ApplicationDescription: st.Description, ApplicationARN: def.ARN,
		ApplicationStatus: m.status(s, st), CreateTimestamp: def.Created, LastUpdateTimestamp: st.Updated,
		ApplicationCode: st.Code, ApplicationVersionID: st.VersionID}
	for _, in := range st.Inputs {
		n := in.parallelism()
		id := InputDescription{InputID: in.ID, NamePrefix: in.NamePrefix, InAppStreamNames: in.streamNames(),
			KinesisStreamsInputDescription: in.KinesisStreamsInput, KinesisFirehoseInputDescription: in.KinesisFirehoseInput,
			InputSchema: in.InputSchema, InputParallelism: InputParallelism{Count: &n},
			InputStartingPositionConfiguration: StartingPositionConfiguration{InputStartingPosition: in.Start}}
		if p := in.InputProcessingConfiguration; p != nil {
			id.InputProcessingConfigurationDescription = &processingDescription{InputLambdaProcessorDescription: p.InputLambdaProcessor}
		}
		d.InputDescriptions = append(d.InputDescriptions, id)
	}
	for _, o := range st.Outputs {
		d.OutputDescriptions = append(d.OutputDescriptions, OutputDescription{OutputID: o.ID, Name: o.Name,
			KinesisStreamsOutputDescription: o.KinesisStreamsOutput, KinesisFirehoseOutputDescription: o.KinesisFirehoseOutput,
			LambdaOutputDescription: o.LambdaOutput, DestinationSchema: o.DestinationSchema})
	}
	for _, r := range st.References {
		rd := ReferenceDescription{ReferenceID: r.ID, TableName: r.TableName, ReferenceSchema: r.ReferenceSchema}
		if r.S3ReferenceDataSource != nil {
			rd.S3ReferenceDataSourceDescription = *r.S3ReferenceDataSource
		}
		d.ReferenceDataSourceDescriptions = append(d.ReferenceDataSourceDescriptions, rd)
	}
	for _, l := range st.Logging {
		d.CloudWatchLoggingOptionDescriptions = append(d.CloudWatchLoggingOptionDescriptions,
			LoggingDescription{CloudWatchLoggingOptionID: l.ID, LogStreamARN: l.LogStreamARN, RoleARN: l.RoleARN})
	}
	return d, nil
}

// List returns up to limit applications after exclusiveStart, by name,
// and whether more follow.
func (m *Manager) List(limit int, exclusiveStart string) ([]Summary, bool) {
	if limit <= 0 {
		limit = 50
	}
	var out []Summary
	for _, s := range m.reg.All() {
		def := s.Def()
		if exclusiveStart != "" && def.Name <= exclusiveStart {
			continue
		}
		if len(out) == limit {
			return out, true
		}
		out = append(out, Summary{ApplicationName: def.Name, ApplicationARN: def.ARN, ApplicationStatus: m.status(s, mustStored(def))})
	}
	return out, false
}

// Delete removes an application; created must be its CreateTimestamp.
func (m *Manager) Delete(ctx context.Context, name string, created time.Time) error {
	s, err := m.lookup(name)
	if err != nil {
		return err
	}
	def := s.Def()
	if !sameTime(def.Created, created) {
		return errorf(registry.ErrInvalidArgument, "CreateTimestamp %s does not match application %s's, %s.",
			created.UTC().Format(time.RFC3339), name, def.Created.UTC().Format(time.RFC3339))
	}
	a := s.Runtime()
	a.setStatus(StatusDeleting)
	a.stopRunner()
	st := mustStored(def)
	err = m.reg.Delete(ctx, s, nil)
	if err == nil && m.cfg.FirehoseInputs != nil {
		for _, in := range st.Inputs {
			if name, ok := firehoseName(in.resourceARN()); ok && in.KinesisFirehoseInput != nil {
				if err := m.cfg.FirehoseInputs.ReleaseLog(ctx, name, def.ARN); err != nil {
					m.cfg.Logger.Warn("analytics: release the delivery stream's log", "application", def.Name, "deliveryStream", name, "err", err)
				}
			}
		}
	}
	if errors.Is(err, registry.ErrGone) {
		return errorf(registry.ErrResourceNotFound, "Application %s is not found.", name)
	}
	if err != nil {
		a.setStatus("")
	}
	return err
}

// sameTime compares timestamps to the second: the SDKs send epoch seconds
// with a millisecond fraction, the AWS CLI whole seconds.
func sameTime(a, b time.Time) bool { return a.Unix() == b.Unix() }

// change applies a configuration change made at version: fn changes a
// copy of the stored configuration, which is compiled and stored with the
// next version; a running application restarts on it (UPDATING meanwhile).
func (m *Manager) change(ctx context.Context, name string, version int64, fn func(st *stored) error) error {
	s, err := m.lookup(name)
	if err != nil {
		return err
	}
	a := s.Runtime()
	a.mu.Lock()
	busy := a.status
	a.mu.Unlock()
	if busy != "" {
		return errorf(registry.ErrResourceInUse, "Application %s is %s; try again when it is READY or RUNNING.", name, busy)
	}
	var running bool
	_, err = s.Update(ctx, func(def *index.Stream) error {
		st, err := decodeStored(def)
		if err != nil {
			return err
		}
		if version != st.VersionID {
			return errorf(registry.ErrVersionMismatch, "Current application version %d does not match the application's version %d.", version, st.VersionID)
		}
		if err := fn(st); err != nil {
			return err
		}
		if _, err := st.compile(m, nil); err != nil {
			return err
		}
		st.VersionID++
		st.Updated = m.cfg.Now().UTC()
		running = st.Running
		st.encode(def)
		return nil
	})
	if errors.Is(err, registry.ErrGone) {
		return errorf(registry.ErrResourceNotFound, "Application %s is not found.", name)
	}
	if err != nil {
		return err
	}
	if running {
		a.setStatus(StatusUpdating)
		a.stopRunner()
		m.startRunner(s, true)
	}
	return nil
}

// checkInput checks an input's configuration.
func (m *Manager) checkInput(in *Input) error {
	switch {
	case in.KinesisStreamsInput != nil && in.KinesisFirehoseInput != nil, in.KinesisStreamsInput == nil && in.KinesisFirehoseInput == nil:
		return errorf(registry.ErrInvalidArgument, "An input needs exactly one of KinesisStreamsInput and KinesisFirehoseInput.")
	}
	if in.parallelism() < 1 || in.parallelism() > 64 {
		return errorf(registry.ErrInvalidArgument, "InputParallelism Count must be 1 to 64.")
	}
	if in.NamePrefix == "" {
		return errorf(registry.ErrInvalidArgument, "An input needs a NamePrefix.")
	}
	if err := m.checkInputSource(in); err != nil {
		return err
	}
	if p := in.InputProcessingConfiguration; p != nil {
		if err := m.checkProcessing(p); err != nil {
			return err
		}
	}
	_, _, err := decoder("The input", in.InputSchema)
	return err
}

// checkInputSource checks that an input's stream or delivery stream can
// be read.
func (m *Manager) checkInputSource(in *Input) error {
	if in.KinesisFirehoseInput != nil {
		if m.cfg.FirehoseInputs == nil {
			return errorf(ErrUnsupported, "This server has no delivery streams to read.")
		}
		name, ok := firehoseName(in.KinesisFirehoseInput.ResourceARN)
		if !ok {
			return errorf(registry.ErrInvalidArgument, "%s is not a delivery stream ARN.", in.KinesisFirehoseInput.ResourceARN)
		}
		if _, err := m.cfg.FirehoseInputs.SeekLog(context.Background(), name, m.cfg.Now()); err != nil {
			return errorf(registry.ErrInvalidArgument, "Firehose delivery stream %s is not accessible: %v", in.KinesisFirehoseInput.ResourceARN, err)
		}
		return nil
	}
	if _, err := m.streamShards(in.KinesisStreamsInput.ResourceARN); err != nil {
		return errorf(registry.ErrInvalidArgument, "Kinesis stream %s is not accessible: %v", in.KinesisStreamsInput.ResourceARN, err)
	}
	return nil
}

func (m *Manager) checkProcessing(p *InputProcessingConfiguration) error {
	if p.InputLambdaProcessor == nil {
		return errorf(registry.ErrInvalidArgument, "InputProcessingConfiguration needs InputLambdaProcessor.")
	}
	if m.cfg.LambdaEndpoints[p.InputLambdaProcessor.ResourceARN] == "" {
		return errorf(registry.ErrInvalidArgument, "No endpoint is configured for function %s: map it to an HTTP URL in shardcast's configuration.", p.InputLambdaProcessor.ResourceARN)
	}
	return nil
}

// checkOutput checks an output; skipID is the id of the output it replaces.
func (m *Manager) checkOutput(st *stored, o *Output, skipID string) error {
	n := 0
	for _, d := range []*ResourceRole{o.KinesisStreamsOutput, o.KinesisFirehoseOutput, o.LambdaOutput} {
		if d != nil {
			n++
		}
	}
	if n != 1 {
		return errorf(registry.ErrInvalidArgument, "An output needs exactly one of KinesisStreamsOutput, KinesisFirehoseOutput and LambdaOutput.")
	}
	switch {
	case o.LambdaOutput != nil:
		if m.cfg.LambdaEndpoints[o.LambdaOutput.ResourceARN] == "" {
			return errorf(registry.ErrInvalidArgument, "No endpoint is configured for function %s: map it to an HTTP URL in shardcast's configuration.", o.LambdaOutput.ResourceARN)
		}
	case o.KinesisFirehoseOutput != nil:
		if m.cfg.Firehose == nil {
			return errorf(ErrUnsupported, "This server has no delivery streams.")
		}
		if _, ok := firehoseName(o.KinesisFirehoseOutput.ResourceARN); !ok {
			return errorf(registry.ErrInvalidArgument, "%s is not a delivery stream ARN.", o.KinesisFirehoseOutput.ResourceARN)
		}
	default:
		if _, err := m.streamShards(o.KinesisStreamsOutput.ResourceARN); err != nil {
			return errorf(registry.ErrInvalidArgument, "Kinesis stream %s is not accessible: %v", o.KinesisStreamsOutput.ResourceARN, err)
		}
	}
	if o.DestinationSchema == nil || (o.DestinationSchema.RecordFormatType != "JSON" && o.DestinationSchema.RecordFormatType != "CSV") {
		return errorf(registry.ErrInvalidArgument, "An output needs a DestinationSchema with RecordFormatType JSON or CSV.")
	}
	for _, x := range st.Outputs {
		if x.ID != skipID && x.Name == o.Name && sameDestination(&x.Output, o) {
			return errorf(registry.ErrInvalidArgument, "Output %s already writes %s to that destination.", x.ID, o.Name)
		}
	}
	return nil
}

func sameDestination(a, b *Output) bool {
	arn := func(o *Output) string {
		for _, d := range []*ResourceRole{o.KinesisStreamsOutput, o.KinesisFirehoseOutput, o.LambdaOutput} {
			if d != nil {
				return d.ResourceARN
			}
		}
		return ""
	}
	return arn(a) == arn(b)
}

// firehoseName reads a delivery stream's name from its ARN.
func firehoseName(arn string) (string, bool) {
	_, name, ok := strings.Cut(arn, ":deliverystream/")
	return name, ok && strings.HasPrefix(arn, "arn:") && name != ""
}

// bucketName reads a bucket's name from its ARN.
func bucketName(arn string) (string, bool) {
	name, ok := strings.CutPrefix(arn, "arn:aws:s3:::")
	if !ok {
		_, name, ok = strings.Cut(arn, ":s3:::")
	}
	return name, ok && name != "" && !strings.Contains(name, "/")
}

func (m *Manager) checkReference(r *ReferenceDataSource) error {
	if m.cfg.Objects == nil {
		return errorf(ErrUnsupported, "This server has no object store for reference data.")
	}
	if r.S3ReferenceDataSource == nil {
		return errorf(registry.ErrInvalidArgument, "A reference data source needs S3ReferenceDataSource.")
	}
	if _, ok := bucketName(r.S3ReferenceDataSource.BucketARN); !ok {
		return errorf(registry.ErrInvalidArgument, "%s is not a bucket ARN.", r.S3ReferenceDataSource.BucketARN)
	}
	_, _, err := decoder("The reference data source", r.ReferenceSchema)
	return err
}

// streamShards lists a data stream's shards.
func (m *Manager) streamShards(arn string) ([]datastreams.ShardInfo, error) {
	var all []datastreams.ShardInfo
	in := datastreams.ListShardsInput{Stream: datastreams.StreamRef{ARN: arn}, MaxResults: 1000}
	for {
		list, next, err := m.cfg.Streams.ListShards(in)
		if err != nil {
			return nil, err
		}
		all = append(all, list...)
		if next == "" {
			return all, nil
		}
		in = datastreams.ListShardsInput{NextToken: next, MaxResults: 1000}
	}
}

// AddInput adds the streaming input.
func (m *Manager) AddInput(ctx context.Context, name string, version int64, in Input) error {
	if err := m.checkInput(&in); err != nil {
		return err
	}
	return m.change(ctx, name, version, func(st *stored) error {
		if len(st.Inputs) >= maxInputs {
			return errorf(registry.ErrInvalidArgument, "Application %s already has an input; an application has at most %d.", name, maxInputs)
		}
		st.Inputs = append(st.Inputs, storedInput{ID: st.nextID("input"), Input: in})
		return nil
	})
}

// AddInputProcessing sets an input's preprocessing function.
func (m *Manager) AddInputProcessing(ctx context.Context, name string, version int64, inputID string, p InputProcessingConfiguration) error {
	if err := m.checkProcessing(&p); err != nil {
		return err
	}
	return m.change(ctx, name, version, func(st *stored) error {
		i := slices.IndexFunc(st.Inputs, func(x storedInput) bool { return x.ID == inputID })
		if i < 0 {
			return errorf(registry.ErrResourceNotFound, "Input %s is not found in application %s.", inputID, name)
		}
		st.Inputs[i].InputProcessingConfiguration = &p
		return nil
	})
}

// DeleteInputProcessing removes an input's preprocessing function.
func (m *Manager) DeleteInputProcessing(ctx context.Context, name string, version int64, inputID string) error {
	return m.change(ctx, name, version, func(st *stored) error {
		i := slices.IndexFunc(st.Inputs, func(x storedInput) bool { return x.ID == inputID })
		if i < 0 {
			return errorf(registry.ErrResourceNotFound, "Input %s is not found in application %s.", inputID, name)
		}
		st.Inputs[i].InputProcessingConfiguration = nil
		return nil
	})
}

// AddOutput adds an output.
func (m *Manager) AddOutput(ctx context.Context, name string, version int64, o Output) error {
	return m.change(ctx, name, version, func(st *stored) error {
		if len(st.Outputs) >= maxOutputs {
			return errorf(registry.ErrLimitExceeded, "Application %s has %d outputs, the most an application can have.", name, maxOutputs)
		}
		if err := m.checkOutput(st, &o, ""); err != nil {
			return err
		}
		st.Outputs = append(st.Outputs, storedOutput{ID: st.nextID("output"), Output: o})
		return nil
	})
}

// DeleteOutput removes an output.
func (m *Manager) DeleteOutput(ctx context.Context, name string, version int64, outputID string) error {
	return m.change(ctx, name, version, func(st *stored) error {
		i := slices.IndexFunc(st.Outputs, func(x storedOutput) bool { return x.ID == outputID })
		if i < 0 {
			return errorf(registry.ErrResourceNotFound, "Output %s is not found in application %s.", outputID, name)
		}
		st.Outputs = slices.Delete(st.Outputs, i, i+1)
		return nil
	})
}

// AddReference adds a reference data source.
func (m *Manager) AddReference(ctx context.Context, name string, version int64, r ReferenceDataSource) error {
	if err := m.checkReference(&r); err != nil {
		return err
	}
	return m.change(ctx, name, version, func(st *stored) error {
		if len(st.References) >= maxReferences {
			return errorf(registry.ErrLimitExceeded, "Application %s has a reference data source, the most an application can have.", name)
		}
		st.References = append(st.References, storedRef{ID: st.nextID("reference"), ReferenceDataSource: r})
		return nil
	})
}

// DeleteReference removes a reference data source.
func (m *Manager) DeleteReference(ctx context.Context, name string, version int64, refID string) error {
	return m.change(ctx, name, version, func(st *stored) error {
		i := slices.IndexFunc(st.References, func(x storedRef) bool { return x.ID == refID })
		if i < 0 {
			return errorf(registry.ErrResourceNotFound, "Reference data source %s is not found in application %s.", refID, name)
		}
		st.References = slices.Delete(st.References, i, i+1)
		return nil
	})
}

// AddLogging adds a logging option.
func (m *Manager) AddLogging(ctx context.Context, name string, version int64, l CloudWatchLoggingOption) error {
	return m.change(ctx, name, version, func(st *stored) error {
		for _, x := range st.Logging {
			if x.LogStreamARN == l.LogStreamARN {
				return errorf(registry.ErrInvalidArgument, "Log stream %s is already configured.", l.LogStreamARN)
			}
		}
		st.Logging = append(st.Logging, storedLogging{ID: st.nextID("logging"), CloudWatchLoggingOption: l})
		return nil
	})
}

// DeleteLogging removes a logging option.
func (m *Manager) DeleteLogging(ctx context.Context, name string, version int64, id string) error {
	return m.change(ctx, name, version, func(st *stored) error {
		i := slices.IndexFunc(st.Logging, func(x storedLogging) bool { return x.ID == id })
		if i < 0 {
			return errorf(registry.ErrResourceNotFound, "CloudWatch logging option %s is not found in application %s.", id, name)
		}
		st.Logging = slices.Delete(st.Logging, i, i+1)
		return nil
	})
}
