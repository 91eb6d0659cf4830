package kvs

import (
	"net/http"
	"strings"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/web/awsapi"
)

type createStreamInput struct {
	DeviceName           *string           `json:"DeviceName"`
	StreamName           *string           `json:"StreamName"`
	MediaType            *string           `json:"MediaType"`
	KmsKeyID             *string           `json:"KmsKeyId"`
	DataRetentionInHours *int              `json:"DataRetentionInHours"`
	Tags                 map[string]string `json:"Tags"`
	StreamStorageConfig  *struct {
		DefaultStorageTier *string `json:"DefaultStorageTier"`
	} `json:"StreamStorageConfiguration"`
}

func (in *createStreamInput) Check(v *awsapi.Validator) {
	v.String("deviceName", in.DeviceName, namePattern, 1, 128)
	if v.Required("streamName", in.StreamName != nil) {
		v.String("streamName", in.StreamName, namePattern, 1, 256)
	}
	v.String("mediaType", in.MediaType, mediaTypePattern, 1, 128)
	v.String("kmsKeyId", in.KmsKeyID, nil, 1, 2048)
	v.Int("dataRetentionInHours", in.DataRetentionInHours, 0, fragments.MaxRetentionHours)
	if in.Tags != nil {
		checkTags(v, "tags", in.Tags)
	}
	if c := in.StreamStorageConfig; c != nil && v.Required("streamStorageConfiguration.defaultStorageTier", c.DefaultStorageTier != nil) {
		v.Enum("streamStorageConfiguration.defaultStorageTier", c.DefaultStorageTier, "HOT", "WARM")
	}
}

func (h *Handler) createStream(r *http.Request, body []byte) (any, error) {
	in, err := decode[createStreamInput](body)
	if err != nil {
		return nil, err
	}
	arn, err := h.cfg.Store.CreateStream(fragments.CreateInput{Name: *in.StreamName, DeviceName: deref(in.DeviceName),
		MediaType: deref(in.MediaType), KmsKeyID: deref(in.KmsKeyID), RetentionHours: deref(in.DataRetentionInHours), Tags: in.Tags})
	if err != nil {
		return nil, err
	}
	return struct {
		StreamARN string `json:"StreamARN"`
	}{arn}, nil
}

// streamInfo is KVS's StreamInfo shape.
type streamInfo struct {
	DeviceName           string           `json:"DeviceName,omitempty"`
	StreamName           string           `json:"StreamName"`
	StreamARN            string           `json:"StreamARN"`
	MediaType            string           `json:"MediaType,omitempty"`
	KmsKeyID             string           `json:"KmsKeyId"`
	Version              string           `json:"Version"`
	Status               string           `json:"Status"`
	CreationTime         awsapi.Timestamp `json:"CreationTime"`
	DataRetentionInHours int              `json:"DataRetentionInHours"`
}

func infoOut(i fragments.Info) streamInfo {
	return streamInfo{DeviceName: i.DeviceName, StreamName: i.Name, StreamARN: i.ARN, MediaType: i.MediaType, KmsKeyID: i.KmsKeyID,
		Version: i.Version, Status: i.Status, CreationTime: awsapi.Timestamp{Time: i.Created}, DataRetentionInHours: i.RetentionHours}
}

func (h *Handler) describeStream(r *http.Request, body []byte) (any, error) {
	in, err := decode[streamInput](body)
	if err != nil {
		return nil, err
	}
	st, err := h.cfg.Store.Lookup(in.ref())
	if err != nil {
		return nil, err
	}
	return struct {
		StreamInfo streamInfo `json:"StreamInfo"`
	}{infoOut(st.Info())}, nil
}

type listStreamsInput struct {
	MaxResults          *int    `json:"MaxResults"`
	NextToken           *string `json:"NextToken"`
	StreamNameCondition *struct {
		ComparisonOperator *string `json:"ComparisonOperator"`
		ComparisonValue    *string `json:"ComparisonValue"`
	} `json:"StreamNameCondition"`
}

func (in *listStreamsInput) Check(v *awsapi.Validator) {
	v.Int("maxResults", in.MaxResults, 1, 10000)
	v.String("nextToken", in.NextToken, tokenPattern, 0, 1024)
	if c := in.StreamNameCondition; c != nil {
		v.Enum("streamNameCondition.comparisonOperator", c.ComparisonOperator, "BEGINS_WITH")
		v.String("streamNameCondition.comparisonValue", c.ComparisonValue, namePattern, 1, 256)
	}
}

func (h *Handler) listStreams(r *http.Request, body []byte) (any, error) {
	in, err := decode[listStreamsInput](body)
	if err != nil {
		return nil, err
	}
	prefix := ""
	if c := in.StreamNameCondition; c != nil {
		prefix = deref(c.ComparisonValue)
	}
	list, next, err := h.cfg.Store.ListStreams(deref(in.MaxResults), deref(in.NextToken), prefix)
	if err != nil {
		return nil, err
	}
	out := struct {
		StreamInfoList []streamInfo `json:"StreamInfoList"`
		NextToken      string       `json:"NextToken,omitempty"`
	}{StreamInfoList: []streamInfo{}, NextToken: next}
	for _, i := range list {
		out.StreamInfoList = append(out.StreamInfoList, infoOut(i))
	}
	return out, nil
}

type deleteStreamInput struct {
	StreamARN      *string `json:"StreamARN"`
	CurrentVersion *string `json:"CurrentVersion"`
}

func (in *deleteStreamInput) Check(v *awsapi.Validator) {
	if v.Required("streamARN", in.StreamARN != nil) {
		v.String("streamARN", in.StreamARN, arnPattern, 1, 1024)
	}
	v.String("currentVersion", in.CurrentVersion, versionPattern, 1, 64)
}

func (h *Handler) deleteStream(r *http.Request, body []byte) (any, error) {
	in, err := decode[deleteStreamInput](body)
	if err != nil {
		return nil, err
	}
	return struct{}{}, h.cfg.Store.DeleteStream(fragments.StreamRef{ARN: *in.StreamARN}, deref(in.CurrentVersion))
}

type updateStreamInput struct {
	streamInput
	CurrentVersion *string `json:"CurrentVersion"`
	DeviceName     *string `json:"DeviceName"`
	MediaType      *string `json:"MediaType"`
}

func (in *updateStreamInput) Check(v *awsapi.Validator) {
	in.streamInput.Check(v)
	if v.Required("currentVersion", in.CurrentVersion != nil) {
		v.String("currentVersion", in.CurrentVersion, versionPattern, 1, 64)
	}
	v.String("deviceName", in.DeviceName, namePattern, 1, 128)
	v.String("mediaType", in.MediaType, mediaTypePattern, 1, 128)
}

func (h *Handler) updateStream(r *http.Request, body []byte) (any, error) {
	in, err := decode[updateStreamInput](body)
	if err != nil {
		return nil, err
	}
	st, err := h.cfg.Store.Lookup(in.ref())
	if err != nil {
		return nil, err
	}
	return struct{}{}, st.UpdateStream(*in.CurrentVersion, in.DeviceName, in.MediaType)
}

type updateRetentionInput struct {
	streamInput
	CurrentVersion             *string `json:"CurrentVersion"`
	Operation                  *string `json:"Operation"`
	DataRetentionChangeInHours *int    `json:"DataRetentionChangeInHours"`
}

func (in *updateRetentionInput) Check(v *awsapi.Validator) {
	in.streamInput.Check(v)
	if v.Required("currentVersion", in.CurrentVersion != nil) {
		v.String("currentVersion", in.CurrentVersion, versionPattern, 1, 64)
	}
	if v.Required("operation", in.Operation != nil) {
		v.Enum("operation", in.Operation, "INCREASE_DATA_RETENTION", "DECREASE_DATA_RETENTION")
	}
	if v.Required("dataRetentionChangeInHours", in.DataRetentionChangeInHours != nil) {
		v.Int("dataRetentionChangeInHours", in.DataRetentionChangeInHours, 1, 1<<31-1)
	}
}

func (h *Handler) updateDataRetention(r *http.Request, body []byte) (any, error) {
	in, err := decode[updateRetentionInput](body)
	if err != nil {
		return nil, err
	}
	st, err := h.cfg.Store.Lookup(in.ref())
	if err != nil {
		return nil, err
	}
	delta := *in.DataRetentionChangeInHours
	if *in.Operation == "DECREASE_DATA_RETENTION" {
		delta = -delta
	}
	return struct{}{}, st.UpdateRetention(*in.CurrentVersion, delta)
}

type getDataEndpointInput struct {
	streamInput
	APIName *string `json:"APIName"`
}

func (in *getDataEndpointInput) Check(v *awsapi.Validator) {
	in.streamInput.Check(v)
	if v.Required("aPIName", in.APIName != nil) {
		v.Enum("aPIName", in.APIName, "PUT_MEDIA", "GET_MEDIA", "LIST_FRAGMENTS", "GET_MEDIA_FOR_FRAGMENT_LIST",
			"GET_HLS_STREAMING_SESSION_URL", "GET_DASH_STREAMING_SESSION_URL", "GET_CLIP", "GET_IMAGES")
	}
}

func (h *Handler) getDataEndpoint(r *http.Request, body []byte) (any, error) {
	in, err := decode[getDataEndpointInput](body)
	if err != nil {
		return nil, err
	}
	if _, err := h.cfg.Store.Lookup(in.ref()); err != nil {
		return nil, err
	}
	return struct {
		DataEndpoint string `json:"DataEndpoint"`
	}{h.baseURL(r)}, nil
}

// baseURL is the server's own URL as the client reached it.
func (h *Handler) baseURL(r *http.Request) string {
	if h.cfg.PublicURL != "" {
		return strings.TrimSuffix(h.cfg.PublicURL, "/")
	}
	scheme := "http"
	if awsapi.SecureTransport(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
