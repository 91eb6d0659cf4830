package analytics

import (
	"context"
	"slices"

	"github.com/shardcast/shardcast/datastreams/registry"
)

// Update applies UpdateApplication's change.
func (m *Manager) Update(ctx context.Context, name string, version int64, u ApplicationUpdate) error {
	return m.change(ctx, name, version, func(st *stored) error {
		if u.ApplicationCodeUpdate != nil {
			st.Code = *u.ApplicationCodeUpdate
		}
		for _, iu := range u.InputUpdates {
			i := slices.IndexFunc(st.Inputs, func(x storedInput) bool { return x.ID == iu.InputID })
			if i < 0 {
				return errorf(registry.ErrResourceNotFound, "Input %s is not found in application %s.", iu.InputID, name)
			}
			in := st.Inputs[i].Input
			if iu.NamePrefixUpdate != "" {
				in.NamePrefix = iu.NamePrefixUpdate
			}
			if iu.KinesisFirehoseInputUpdate != nil {
				var r ResourceRole
				if in.KinesisFirehoseInput != nil {
					r = *in.KinesisFirehoseInput
				}
				iu.KinesisFirehoseInputUpdate.apply(&r)
				in.KinesisStreamsInput, in.KinesisFirehoseInput = nil, &r
			}
			if iu.KinesisStreamsInputUpdate != nil {
				var r ResourceRole
				if in.KinesisStreamsInput != nil {
					r = *in.KinesisStreamsInput
				}
				iu.KinesisStreamsInputUpdate.apply(&r)
				in.KinesisStreamsInput, in.KinesisFirehoseInput = &r, nil
			}
			if p := iu.InputProcessingConfigurationUpdate; p != nil && p.InputLambdaProcessorUpdate != nil {
				var r ResourceRole
				if in.InputProcessingConfiguration != nil && in.InputProcessingConfiguration.InputLambdaProcessor != nil {
					r = *in.InputProcessingConfiguration.InputLambdaProcessor
				}
				p.InputLambdaProcessorUpdate.apply(&r)
				in.InputProcessingConfiguration = &InputProcessingConfiguration{InputLambdaProcessor: &r}
			}
			if su := iu.InputSchemaUpdate; su != nil {
				s := SourceSchema{}
				if in.InputSchema != nil {
					s = *in.InputSchema
				}
				if su.RecordFormatUpdate != nil {
					s.RecordFormat = su.RecordFormatUpdate
				}
				if su.RecordEncodingUpdate != "" {
					s.RecordEncoding = su.RecordEncodingUpdate
				}
				if su.RecordColumnUpdates != nil {
					s.RecordColumns = su.RecordColumnUpdates
				}
				in.InputSchema = &s
			}
			if pu := iu.InputParallelismUpdate; pu != nil && pu.CountUpdate != nil {
				in.InputParallelism = &InputParallelism{Count: pu.CountUpdate}
			}
			if err := m.checkInput(&in); err != nil {
				return err
			}
			st.Inputs[i].Input = in
		}
		for _, ou := range u.OutputUpdates {
			i := slices.IndexFunc(st.Outputs, func(x storedOutput) bool { return x.ID == ou.OutputID })
			if i < 0 {
				return errorf(registry.ErrResourceNotFound, "Output %s is not found in application %s.", ou.OutputID, name)
			}
			o := st.Outputs[i].Output
			if ou.NameUpdate != "" {
				o.Name = ou.NameUpdate
			}
			switch {
			case ou.KinesisStreamsOutputUpdate != nil:
				r := ResourceRole{}
				if o.KinesisStreamsOutput != nil {
					r = *o.KinesisStreamsOutput
				}
				ou.KinesisStreamsOutputUpdate.apply(&r)
				o.KinesisStreamsOutput, o.KinesisFirehoseOutput, o.LambdaOutput = &r, nil, nil
			case ou.KinesisFirehoseOutputUpdate != nil:
				r := ResourceRole{}
				if o.KinesisFirehoseOutput != nil {
					r = *o.KinesisFirehoseOutput
				}
				ou.KinesisFirehoseOutputUpdate.apply(&r)
				o.KinesisStreamsOutput, o.KinesisFirehoseOutput, o.LambdaOutput = nil, &r, nil
			case ou.LambdaOutputUpdate != nil:
				r := ResourceRole{}
				if o.LambdaOutput != nil {
					r = *o.LambdaOutput
				}
				ou.LambdaOutputUpdate.apply(&r)
				o.KinesisStreamsOutput, o.KinesisFirehoseOutput, o.LambdaOutput = nil, nil, &r
			}
			if ou.DestinationSchemaUpdate != nil {
				o.DestinationSchema = ou.DestinationSchemaUpdate
			}
			if err := m.checkOutput(st, &o, ou.OutputID); err != nil {
				return err
			}
			st.Outputs[i].Output = o
		}
		for _, ru := range u.ReferenceDataSourceUpdates {
			i := slices.IndexFunc(st.References, func(x storedRef) bool { return x.ID == ru.ReferenceID })
			if i < 0 {
				return errorf(registry.ErrResourceNotFound, "Reference data source %s is not found in application %s.", ru.ReferenceID, name)
			}
			r := st.References[i].ReferenceDataSource
			if ru.TableNameUpdate != "" {
				r.TableName = ru.TableNameUpdate
			}
			if su := ru.S3ReferenceDataSourceUpdate; su != nil {
				s := S3ReferenceDataSource{}
				if r.S3ReferenceDataSource != nil {
					s = *r.S3ReferenceDataSource
				}
				if su.BucketARNUpdate != "" {
					s.BucketARN = su.BucketARNUpdate
				}
				if su.FileKeyUpdate != "" {
					s.FileKey = su.FileKeyUpdate
				}
				if su.ReferenceRoleARNUpdate != "" {
					s.ReferenceRoleARN = su.ReferenceRoleARNUpdate
				}
				r.S3ReferenceDataSource = &s
			}
			if ru.ReferenceSchemaUpdate != nil {
				r.ReferenceSchema = ru.ReferenceSchemaUpdate
			}
			if err := m.checkReference(&r); err != nil {
				return err
			}
			st.References[i].ReferenceDataSource = r
		}
		for _, lu := range u.CloudWatchLoggingOptionUpdates {
			i := slices.IndexFunc(st.Logging, func(x storedLogging) bool { return x.ID == lu.CloudWatchLoggingOptionID })
			if i < 0 {
				return errorf(registry.ErrResourceNotFound, "CloudWatch logging option %s is not found in application %s.", lu.CloudWatchLoggingOptionID, name)
			}
			if lu.LogStreamARNUpdate != "" {
				st.Logging[i].LogStreamARN = lu.LogStreamARNUpdate
			}
			if lu.RoleARNUpdate != "" {
				st.Logging[i].RoleARN = lu.RoleARNUpdate
			}
		}
		return nil
	})
}
