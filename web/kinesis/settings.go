package kinesis

import (
	"net/http"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/web/awsapi"
)

type retentionInput struct {
	streamInput
	RetentionPeriodHours *int `json:"RetentionPeriodHours"`
}

func (in *retentionInput) Check(v *awsapi.Validator) {
	if v.Required("retentionPeriodHours", in.RetentionPeriodHours != nil) {
		v.Int("retentionPeriodHours", in.RetentionPeriodHours, 1, 1<<31-1)
	}
	in.streamInput.Check(v)
}

func (h *Handler) retention(r *http.Request, body []byte, increase bool) (any, error) {
	in, err := decode[retentionInput](r, body)
	if err != nil {
		return nil, err
	}
	return empty{}, h.engine.SetRetention(in.ref(), *in.RetentionPeriodHours, increase)
}

func (h *Handler) increaseRetention(r *http.Request, body []byte) (any, error) {
	return h.retention(r, body, true)
}

func (h *Handler) decreaseRetention(r *http.Request, body []byte) (any, error) {
	return h.retention(r, body, false)
}

type encryptionInput struct {
	streamInput
	EncryptionType *string `json:"EncryptionType"`
	KeyID          *string `json:"KeyId"`
}

func (in *encryptionInput) Check(v *awsapi.Validator) {
	if v.Required("encryptionType", in.EncryptionType != nil) {
		v.Enum("encryptionType", in.EncryptionType, "NONE", "KMS")
	}
	if v.Required("keyId", in.KeyID != nil) {
		v.String("keyId", in.KeyID, nil, 1, 2048)
	}
	in.streamInput.Check(v)
}

func (h *Handler) startEncryption(r *http.Request, body []byte) (any, error) {
	in, err := decode[encryptionInput](r, body)
	if err != nil {
		return nil, err
	}
	return empty{}, h.engine.StartEncryption(in.ref(), *in.EncryptionType, *in.KeyID)
}

func (h *Handler) stopEncryption(r *http.Request, body []byte) (any, error) {
	in, err := decode[encryptionInput](r, body)
	if err != nil {
		return nil, err
	}
	return empty{}, h.engine.StopEncryption(in.ref(), *in.EncryptionType, *in.KeyID)
}

// noInput is the request of operations that take nothing.
type noInput struct{}

func (noInput) Check(*awsapi.Validator) {}

func (h *Handler) describeLimits(r *http.Request, body []byte) (any, error) {
	if _, err := decode[noInput](r, body); err != nil {
		return nil, err
	}
	l := h.engine.DescribeLimits()
	return struct {
		ShardLimit               int `json:"ShardLimit"`
		OpenShardCount           int `json:"OpenShardCount"`
		OnDemandStreamCount      int `json:"OnDemandStreamCount"`
		OnDemandStreamCountLimit int `json:"OnDemandStreamCountLimit"`
	}{l.ShardLimit, l.OpenShardCount, l.OnDemandStreamCount, l.OnDemandStreamCountLimit}, nil
}

type updateStreamModeInput struct {
	StreamARN           *string            `json:"StreamARN"`
	StreamModeDetails   *streamModeDetails `json:"StreamModeDetails"`
	WarmThroughputMiBps *int               `json:"WarmThroughputMiBps"`
	StreamID            *string            `json:"StreamId"`
}

func (in *updateStreamModeInput) Check(v *awsapi.Validator) {
	if v.Required("streamARN", in.StreamARN != nil) {
		v.String("streamARN", in.StreamARN, arnPattern, 1, 2048)
	}
	if v.Required("streamModeDetails", in.StreamModeDetails != nil) {
		// A missing StreamMode decodes as "": reported as null.
		if v.Required("streamModeDetails.streamMode", in.StreamModeDetails.StreamMode != "") {
			v.Enum("streamModeDetails.streamMode", &in.StreamModeDetails.StreamMode, datastreams.ModeProvisioned, datastreams.ModeOnDemand)
		}
	}
	v.Int("warmThroughputMiBps", in.WarmThroughputMiBps, 0, 1<<31-1)
	v.String("streamId", in.StreamID, streamIDPattern, 1, 24)
}

func (h *Handler) updateStreamMode(r *http.Request, body []byte) (any, error) {
	in, err := decode[updateStreamModeInput](r, body)
	if err != nil {
		return nil, err
	}
	return empty{}, h.engine.UpdateStreamMode(r.Context(), datastreams.StreamRef{ARN: *in.StreamARN}, in.StreamModeDetails.StreamMode, in.WarmThroughputMiBps)
}
