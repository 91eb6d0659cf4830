package firehose

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/shardcast/shardcast/datastreams/firehose"
	"github.com/shardcast/shardcast/datastreams/registry"
)

// destinationKinds are the X of <X>DestinationConfiguration that exist.
var destinationKinds = []string{"ExtendedS3", "S3", "HttpEndpoint", "Amazonopensearchservice", "Elasticsearch", "Splunk", "Redshift", "AmazonOpenSearchServerless", "Snowflake", "Iceberg"}

// findDestination returns the one <X><suffix> member of a request.
func findDestination(m map[string]json.RawMessage, suffix string) (string, json.RawMessage, error) {
	var kind string
	var cfg json.RawMessage
	for _, k := range destinationKinds {
		if v, ok := m[k+suffix]; ok && string(v) != "null" {
			if kind != "" {
				return "", nil, registry.Errorf(registry.ErrInvalidArgument, "Exactly one destination configuration is supported for a Firehose stream.")
			}
			kind, cfg = k, v
		}
	}
	if kind == "" {
		return "", nil, registry.Errorf(registry.ErrInvalidArgument, "Exactly one destination configuration is supported for a Firehose stream.")
	}
	return kind, cfg, nil
}

func (h *Handler) create(r *http.Request, body []byte) (any, error) {
	var in struct {
		DeliveryStreamName                         string
		DeliveryStreamType                         string
		KinesisStreamSourceConfiguration           *firehose.KinesisStreamSourceConfiguration
		DeliveryStreamEncryptionConfigurationInput *firehose.EncryptionInput
		Tags                                       []firehose.Tag
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	json.Unmarshal(body, &m)
	if err := requireName(in.DeliveryStreamName); err != nil {
		return nil, err
	}
	switch in.DeliveryStreamType {
	case "", firehose.TypeDirectPut, firehose.TypeKinesisSource, "MSKAsSource", "DatabaseAsSource":
	default:
		return nil, validation("Value '%s' at 'deliveryStreamType' failed to satisfy constraint: Member must satisfy enum value set: [DatabaseAsSource, DirectPut, KinesisStreamAsSource, MSKAsSource]", in.DeliveryStreamType)
	}
	kind, cfg, err := findDestination(m, "DestinationConfiguration")
	if err != nil {
		return nil, err
	}
	arn, err := h.engine.Create(r.Context(), firehose.CreateInput{
		Name: in.DeliveryStreamName, Type: in.DeliveryStreamType, Source: in.KinesisStreamSourceConfiguration,
		Encryption: in.DeliveryStreamEncryptionConfigurationInput, Tags: in.Tags,
		Destination: firehose.DestinationConfig{Kind: kind, Config: cfg},
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"DeliveryStreamARN": arn}, nil
}

type nameInput struct {
	DeliveryStreamName string
}

func (h *Handler) delete(r *http.Request, body []byte) (any, error) {
	var in nameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := requireName(in.DeliveryStreamName); err != nil {
		return nil, err
	}
	return struct{}{}, h.engine.Delete(r.Context(), in.DeliveryStreamName)
}

func (h *Handler) describe(r *http.Request, body []byte) (any, error) {
	var in struct {
		DeliveryStreamName          string
		Limit                       *int
		ExclusiveStartDestinationId string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := requireName(in.DeliveryStreamName); err != nil {
		return nil, err
	}
	if in.Limit != nil && (*in.Limit < 1 || *in.Limit > 10000) {
		return nil, validation("Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000", *in.Limit)
	}
	d, err := h.engine.Describe(in.DeliveryStreamName)
	if err != nil {
		return nil, err
	}
	if in.ExclusiveStartDestinationId != "" {
		var kept []map[string]any
		for _, x := range d.Destinations {
			if id, _ := x["DestinationId"].(string); id > in.ExclusiveStartDestinationId {
				kept = append(kept, x)
			}
		}
		d.Destinations = append([]map[string]any{}, kept...)
	}
	return map[string]any{"DeliveryStreamDescription": d}, nil
}

func (h *Handler) list(_ *http.Request, body []byte) (any, error) {
	var in struct {
		Limit                            *int
		DeliveryStreamType               string
		ExclusiveStartDeliveryStreamName string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit := 10
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 10000 {
			return nil, validation("Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000", *in.Limit)
		}
		limit = *in.Limit
	}
	names, more := h.engine.List(limit, in.DeliveryStreamType, in.ExclusiveStartDeliveryStreamName)
	return map[string]any{"DeliveryStreamNames": names, "HasMoreDeliveryStreams": more}, nil
}

func (h *Handler) update(r *http.Request, body []byte) (any, error) {
	var in struct {
		DeliveryStreamName             string
		CurrentDeliveryStreamVersionId string
		DestinationId                  string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := requireName(in.DeliveryStreamName); err != nil {
		return nil, err
	}
	if in.CurrentDeliveryStreamVersionId == "" {
		return nil, validation("Value null at 'currentDeliveryStreamVersionId' failed to satisfy constraint: Member must not be null")
	}
	if in.DestinationId == "" {
		return nil, validation("Value null at 'destinationId' failed to satisfy constraint: Member must not be null")
	}
	var m map[string]json.RawMessage
	json.Unmarshal(body, &m)
	kind, upd, err := findDestination(m, "DestinationUpdate")
	if err != nil {
		return nil, err
	}
	return struct{}{}, h.engine.Update(r.Context(), firehose.UpdateInput{Name: in.DeliveryStreamName,
		CurrentVersion: in.CurrentDeliveryStreamVersionId, DestinationID: in.DestinationId, Kind: kind, Update: upd})
}

func (h *Handler) tag(r *http.Request, body []byte) (any, error) {
	var in struct {
		DeliveryStreamName string
		Tags               []firehose.Tag
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := requireName(in.DeliveryStreamName); err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, validation("Value '[]' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	return struct{}{}, h.engine.Tag(r.Context(), in.DeliveryStreamName, in.Tags)
}

func (h *Handler) untag(r *http.Request, body []byte) (any, error) {
	var in struct {
		DeliveryStreamName string
		TagKeys            []string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := requireName(in.DeliveryStreamName); err != nil {
		return nil, err
	}
	if len(in.TagKeys) == 0 || len(in.TagKeys) > 50 {
		return nil, validation("Value at 'tagKeys' failed to satisfy constraint: Member must have length between 1 and 50")
	}
	return struct{}{}, h.engine.Untag(r.Context(), in.DeliveryStreamName, in.TagKeys)
}

func (h *Handler) listTags(_ *http.Request, body []byte) (any, error) {
	var in struct {
		DeliveryStreamName   string
		ExclusiveStartTagKey string
		Limit                *int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := requireName(in.DeliveryStreamName); err != nil {
		return nil, err
	}
	limit := 50
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 50 {
			return nil, validation("Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 50", *in.Limit)
		}
		limit = *in.Limit
	}
	tags, more, err := h.engine.ListTags(in.DeliveryStreamName, in.ExclusiveStartTagKey, limit)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Tags": tags, "HasMoreTags": more}, nil
}

func (h *Handler) startEncryption(_ *http.Request, body []byte) (any, error) {
	var in struct {
		DeliveryStreamName                         string
		DeliveryStreamEncryptionConfigurationInput *firehose.EncryptionInput
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := requireName(in.DeliveryStreamName); err != nil {
		return nil, err
	}
	return struct{}{}, h.engine.StartEncryption(in.DeliveryStreamName, in.DeliveryStreamEncryptionConfigurationInput)
}

func (h *Handler) stopEncryption(_ *http.Request, body []byte) (any, error) {
	var in nameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := requireName(in.DeliveryStreamName); err != nil {
		return nil, err
	}
	return struct{}{}, h.engine.StopEncryption(in.DeliveryStreamName)
}

// putRecord and putRecordBatch check sizes before anything is stored.
func (h *Handler) putRecord(r *http.Request, body []byte) (any, error) {
	var in struct {
		DeliveryStreamName string
		Record             *struct{ Data []byte }
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := requireName(in.DeliveryStreamName); err != nil {
		return nil, err
	}
	if in.Record == nil || in.Record.Data == nil {
		return nil, validation("Value null at 'record.data' failed to satisfy constraint: Member must not be null")
	}
	if len(in.Record.Data) > firehose.MaxRecordBytes {
		return nil, validation("Value at 'record.data' failed to satisfy constraint: Member must have length less than or equal to %d", firehose.MaxRecordBytes)
	}
	res, enc, err := h.engine.Put(r.Context(), in.DeliveryStreamName, [][]byte{in.Record.Data})
	if err != nil {
		return nil, err
	}
	return map[string]any{"RecordId": res[0].RecordID, "Encrypted": enc}, nil
}

func (h *Handler) putRecordBatch(r *http.Request, body []byte) (any, error) {
	name, data, err := decodeBatch(body)
	if err != nil {
		return nil, err
	}
	if err := requireName(name); err != nil {
		return nil, err
	}
	if len(data) == 0 || len(data) > firehose.MaxBatchCount {
		return nil, validation("Value at 'records' failed to satisfy constraint: Member must have length between 1 and %d", firehose.MaxBatchCount)
	}
	total := 0
	for i, d := range data {
		if d == nil {
			return nil, validation("Value null at 'records.%d.member.data' failed to satisfy constraint: Member must not be null", i+1)
		}
		if len(d) > firehose.MaxRecordBytes {
			return nil, validation("Value at 'records.%d.member.data' failed to satisfy constraint: Member must have length less than or equal to %d", i+1, firehose.MaxRecordBytes)
		}
		total += len(d)
	}
	if total > firehose.MaxBatchBytes {
		return nil, registry.Errorf(registry.ErrInvalidArgument, "Records size exceeds 4 MB limit")
	}
	res, enc, err := h.engine.Put(r.Context(), name, data)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.Grow(len(res)*48 + 64)
	b.WriteString(`{"FailedPutCount":0,"Encrypted":`)
	if enc {
		b.WriteString("true")
	} else {
		b.WriteString("false")
	}
	b.WriteString(`,"RequestResponses":[`)
	for i, x := range res {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"RecordId":"`)
		b.WriteString(x.RecordID)
		b.WriteString(`"}`)
	}
	b.WriteString("]}")
	return rawJSON(b.String()), nil
}

// decodeBatch decodes PutRecordBatch's input.
func decodeBatch(body []byte) (string, [][]byte, error) {
	if name, data, ok := fastBatch(body); ok {
		return name, data, nil
	}
	var in struct {
		DeliveryStreamName string
		Records            []struct{ Data []byte }
	}
	if err := decode(body, &in); err != nil {
		return "", nil, err
	}
	data := make([][]byte, len(in.Records))
	for i, r := range in.Records {
		data[i] = r.Data
	}
	return in.DeliveryStreamName, data, nil
}
