package kinesis

import (
	"net/http"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/web/awsapi"
)

type tagOut struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func tagsOut(tags []datastreams.Tag) []tagOut {
	out := make([]tagOut, 0, len(tags))
	for _, t := range tags {
		out = append(out, tagOut{t.Key, t.Value})
	}
	return out
}

// tagsInput is the Tags member of AddTagsToStream and TagResource.
type tagsInput struct {
	Tags map[string]string `json:"Tags"`
}

func (in *tagsInput) Check(v *awsapi.Validator) {
	if v.Required("tags", in.Tags != nil) {
		tagMap(v, "tags", in.Tags, 1, 200)
	}
}

// tagKeysInput is the TagKeys member of RemoveTagsFromStream and UntagResource.
type tagKeysInput struct {
	TagKeys []string `json:"TagKeys"`
}

func (in *tagKeysInput) Check(v *awsapi.Validator) {
	if v.Required("tagKeys", in.TagKeys != nil) {
		stringList(v, "tagKeys", in.TagKeys, 1, 50, 128)
	}
}

type addTagsInput struct {
	streamInput
	tagsInput
}

func (in *addTagsInput) Check(v *awsapi.Validator) {
	in.tagsInput.Check(v)
	in.streamInput.Check(v)
}

func (h *Handler) addTags(r *http.Request, body []byte) (any, error) {
	in, err := decode[addTagsInput](r, body)
	if err != nil {
		return nil, err
	}
	return empty{}, h.engine.AddTags(in.ref(), in.Tags)
}

type removeTagsInput struct {
	streamInput
	tagKeysInput
}

func (in *removeTagsInput) Check(v *awsapi.Validator) {
	in.tagKeysInput.Check(v)
	in.streamInput.Check(v)
}

func (h *Handler) removeTags(r *http.Request, body []byte) (any, error) {
	in, err := decode[removeTagsInput](r, body)
	if err != nil {
		return nil, err
	}
	return empty{}, h.engine.RemoveTags(in.ref(), in.TagKeys)
}

type listTagsInput struct {
	streamInput
	ExclusiveStartTagKey *string `json:"ExclusiveStartTagKey"`
	Limit                *int    `json:"Limit"`
}

func (in *listTagsInput) Check(v *awsapi.Validator) {
	v.Int("limit", in.Limit, 1, 50)
	v.String("exclusiveStartTagKey", in.ExclusiveStartTagKey, nil, 1, 128)
	in.streamInput.Check(v)
}

func (h *Handler) listTags(r *http.Request, body []byte) (any, error) {
	in, err := decode[listTagsInput](r, body)
	if err != nil {
		return nil, err
	}
	tags, more, err := h.engine.ListTags(in.ref(), deref(in.ExclusiveStartTagKey), deref(in.Limit))
	if err != nil {
		return nil, err
	}
	return struct {
		Tags        []tagOut `json:"Tags"`
		HasMoreTags bool     `json:"HasMoreTags"`
	}{tagsOut(tags), more}, nil
}

// resourceInput names a stream by its ARN, as the resource-tag operations do.
type resourceInput struct {
	ResourceARN *string `json:"ResourceARN"`
}

func (in *resourceInput) Check(v *awsapi.Validator) {
	if v.Required("resourceARN", in.ResourceARN != nil) {
		v.String("resourceARN", in.ResourceARN, resARNPattern, 1, 2048)
	}
}

type tagResourceInput struct {
	resourceInput
	tagsInput
}

func (in *tagResourceInput) Check(v *awsapi.Validator) {
	in.tagsInput.Check(v)
	in.resourceInput.Check(v)
}

func (h *Handler) tagResource(r *http.Request, body []byte) (any, error) {
	in, err := decode[tagResourceInput](r, body)
	if err != nil {
		return nil, err
	}
	return empty{}, h.engine.TagResource(r.Context(), *in.ResourceARN, in.Tags)
}

type untagResourceInput struct {
	resourceInput
	tagKeysInput
}

func (in *untagResourceInput) Check(v *awsapi.Validator) {
	in.tagKeysInput.Check(v)
	in.resourceInput.Check(v)
}

func (h *Handler) untagResource(r *http.Request, body []byte) (any, error) {
	in, err := decode[untagResourceInput](r, body)
	if err != nil {
		return nil, err
	}
	return empty{}, h.engine.UntagResource(r.Context(), *in.ResourceARN, in.TagKeys)
}

func (h *Handler) listTagsForResource(r *http.Request, body []byte) (any, error) {
	in, err := decode[resourceInput](r, body)
	if err != nil {
		return nil, err
	}
	tags, err := h.engine.ListResourceTags(*in.ResourceARN)
	if err != nil {
		return nil, err
	}
	return struct {
		Tags []tagOut `json:"Tags"`
	}{tagsOut(tags)}, nil
}
