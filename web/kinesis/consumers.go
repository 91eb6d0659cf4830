package kinesis

import (
	"net/http"
	"time"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/web/awsapi"
)

// consumerARNPattern is the model's pattern of a ConsumerARN.
var consumerARNPattern = awsapi.Pattern(`^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/[a-zA-Z0-9_.-]+:[0-9]+`)

// consumerOut is a Consumer as RegisterStreamConsumer and
// ListStreamConsumers answer it; DescribeStreamConsumer adds StreamARN.
type consumerOut struct {
	ConsumerName              string           `json:"ConsumerName"`
	ConsumerARN               string           `json:"ConsumerARN"`
	ConsumerStatus            string           `json:"ConsumerStatus"`
	ConsumerCreationTimestamp awsapi.Timestamp `json:"ConsumerCreationTimestamp"`
}

func outOfConsumer(c datastreams.Consumer) consumerOut {
	return consumerOut{c.Name, c.ARN, c.Status, awsapi.Timestamp{Time: c.Created}}
}

type registerConsumerInput struct {
	StreamARN    *string           `json:"StreamARN"`
	ConsumerName *string           `json:"ConsumerName"`
	Tags         map[string]string `json:"Tags"`
}

func (in *registerConsumerInput) Check(v *awsapi.Validator) {
	if v.Required("streamARN", in.StreamARN != nil) {
		v.String("streamARN", in.StreamARN, arnPattern, 1, 2048)
	}
	if v.Required("consumerName", in.ConsumerName != nil) {
		v.String("consumerName", in.ConsumerName, namePattern, 1, 128)
	}
	if in.Tags != nil {
		tagMap(v, "tags", in.Tags, 1, 200)
	}
}

func (h *Handler) registerConsumer(r *http.Request, body []byte) (any, error) {
	in, err := decode[registerConsumerInput](r, body)
	if err != nil {
		return nil, err
	}
	c, err := h.engine.RegisterConsumer(r.Context(), *in.StreamARN, *in.ConsumerName, in.Tags)
	if err != nil {
		return nil, err
	}
	return struct {
		Consumer consumerOut `json:"Consumer"`
	}{outOfConsumer(c)}, nil
}

// consumerRefInput names a consumer by ARN, or by stream ARN and name.
type consumerRefInput struct {
	StreamARN    *string `json:"StreamARN"`
	ConsumerName *string `json:"ConsumerName"`
	ConsumerARN  *string `json:"ConsumerARN"`
}

func (in *consumerRefInput) Check(v *awsapi.Validator) {
	v.String("streamARN", in.StreamARN, arnPattern, 1, 2048)
	v.String("consumerName", in.ConsumerName, namePattern, 1, 128)
	v.String("consumerARN", in.ConsumerARN, consumerARNPattern, 1, 2048)
}

func (in *consumerRefInput) ref() datastreams.ConsumerRef {
	return datastreams.ConsumerRef{ARN: deref(in.ConsumerARN), StreamARN: deref(in.StreamARN), Name: deref(in.ConsumerName)}
}

func (h *Handler) describeConsumer(r *http.Request, body []byte) (any, error) {
	in, err := decode[consumerRefInput](r, body)
	if err != nil {
		return nil, err
	}
	c, err := h.engine.DescribeConsumer(in.ref())
	if err != nil {
		return nil, err
	}
	type description struct {
		consumerOut
		StreamARN string `json:"StreamARN"`
	}
	return struct {
		ConsumerDescription description `json:"ConsumerDescription"`
	}{description{outOfConsumer(c), c.StreamARN}}, nil
}

func (h *Handler) deregisterConsumer(r *http.Request, body []byte) (any, error) {
	in, err := decode[consumerRefInput](r, body)
	if err != nil {
		return nil, err
	}
	return empty{}, h.engine.DeregisterConsumer(r.Context(), in.ref())
}

type listConsumersInput struct {
	StreamARN               *string           `json:"StreamARN"`
	NextToken               *string           `json:"NextToken"`
	MaxResults              *int              `json:"MaxResults"`
	StreamCreationTimestamp *awsapi.Timestamp `json:"StreamCreationTimestamp"`
}

func (in *listConsumersInput) Check(v *awsapi.Validator) {
	v.Int("maxResults", in.MaxResults, 1, 10000)
	v.String("nextToken", in.NextToken, nil, 1, 1048576)
	if v.Required("streamARN", in.StreamARN != nil) {
		v.String("streamARN", in.StreamARN, arnPattern, 1, 2048)
	}
}

func (h *Handler) listConsumers(r *http.Request, body []byte) (any, error) {
	in, err := decode[listConsumersInput](r, body)
	if err != nil {
		return nil, err
	}
	var created *time.Time
	if in.StreamCreationTimestamp != nil {
		created = &in.StreamCreationTimestamp.Time
	}
	list, token, err := h.engine.ListConsumers(*in.StreamARN, deref(in.NextToken), deref(in.MaxResults), created)
	if err != nil {
		return nil, err
	}
	out := struct {
		Consumers []consumerOut `json:"Consumers"`
		NextToken string        `json:"NextToken,omitempty"`
	}{Consumers: make([]consumerOut, 0, len(list)), NextToken: token}
	for _, c := range list {
		out.Consumers = append(out.Consumers, outOfConsumer(c))
	}
	return out, nil
}
