package kvs

import (
	"net/http"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/web/awsapi"
)

type tagStreamInput struct {
	streamInput
	Tags map[string]string `json:"Tags"`
}

func (in *tagStreamInput) Check(v *awsapi.Validator) {
	in.streamInput.Check(v)
	if v.Required("tags", in.Tags != nil) {
		checkTags(v, "tags", in.Tags)
	}
}

func (h *Handler) tagStream(r *http.Request, body []byte) (any, error) {
	in, err := decode[tagStreamInput](body)
	if err != nil {
		return nil, err
	}
	st, err := h.cfg.Store.Lookup(in.ref())
	if err != nil {
		return nil, err
	}
	return struct{}{}, st.AddTags(in.Tags)
}

type untagInput struct {
	TagKeyList []string `json:"TagKeyList"`
}

func (in *untagInput) checkKeys(v *awsapi.Validator) {
	if v.Required("tagKeyList", in.TagKeyList != nil) {
		v.Len("tagKeyList", len(in.TagKeyList), "[...]", 1, 50)
		for _, k := range in.TagKeyList {
			if n := len([]rune(k)); n < 1 || n > 128 {
				v.Custom(k, "tagKeyList.member", "Member must have length between 1 and 128")
			}
		}
	}
}

type untagStreamInput struct {
	streamInput
	untagInput
}

func (in *untagStreamInput) Check(v *awsapi.Validator) {
	in.streamInput.Check(v)
	in.checkKeys(v)
}

func (h *Handler) untagStream(r *http.Request, body []byte) (any, error) {
	in, err := decode[untagStreamInput](body)
	if err != nil {
		return nil, err
	}
	st, err := h.cfg.Store.Lookup(in.ref())
	if err != nil {
		return nil, err
	}
	return struct{}{}, st.RemoveTags(in.TagKeyList)
}

type listTagsInput struct {
	streamInput
	NextToken *string `json:"NextToken"`
}

func (in *listTagsInput) Check(v *awsapi.Validator) {
	in.streamInput.Check(v)
	v.String("nextToken", in.NextToken, tokenPattern, 0, 512)
}

type tagsOutput struct {
	Tags map[string]string `json:"Tags"`
}

func tagsOf(st *fragments.Stream) tagsOutput {
	t := st.Info().Tags
	if t == nil {
		t = map[string]string{}
	}
	return tagsOutput{t}
}

func (h *Handler) listTagsForStream(r *http.Request, body []byte) (any, error) {
	in, err := decode[listTagsInput](body)
	if err != nil {
		return nil, err
	}
	st, err := h.cfg.Store.Lookup(in.ref())
	if err != nil {
		return nil, err
	}
	return tagsOf(st), nil
}

// resourceInput names a stream by ARN (the generic resource-tag operations).
type resourceInput struct {
	ResourceARN *string `json:"ResourceARN"`
}

func (in *resourceInput) Check(v *awsapi.Validator) {
	if v.Required("resourceARN", in.ResourceARN != nil) {
		v.String("resourceARN", in.ResourceARN, arnPattern, 1, 1024)
	}
}

type tagResourceInput struct {
	resourceInput
	Tags []struct {
		Key   *string `json:"Key"`
		Value *string `json:"Value"`
	} `json:"Tags"`
}

func (in *tagResourceInput) Check(v *awsapi.Validator) {
	in.resourceInput.Check(v)
	if v.Required("tags", in.Tags != nil) {
		m := map[string]string{}
		for _, t := range in.Tags {
			v.Required("tags.member.key", t.Key != nil)
			v.Required("tags.member.value", t.Value != nil)
			m[deref(t.Key)] = deref(t.Value)
		}
		checkTags(v, "tags", m)
	}
}

func (h *Handler) tagResource(r *http.Request, body []byte) (any, error) {
	in, err := decode[tagResourceInput](body)
	if err != nil {
		return nil, err
	}
	st, err := h.cfg.Store.Lookup(fragments.StreamRef{ARN: *in.ResourceARN})
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, t := range in.Tags {
		m[*t.Key] = *t.Value
	}
	return struct{}{}, st.AddTags(m)
}

type untagResourceInput struct {
	resourceInput
	untagInput
}

func (in *untagResourceInput) Check(v *awsapi.Validator) {
	in.resourceInput.Check(v)
	in.checkKeys(v)
}

func (h *Handler) untagResource(r *http.Request, body []byte) (any, error) {
	in, err := decode[untagResourceInput](body)
	if err != nil {
		return nil, err
	}
	st, err := h.cfg.Store.Lookup(fragments.StreamRef{ARN: *in.ResourceARN})
	if err != nil {
		return nil, err
	}
	return struct{}{}, st.RemoveTags(in.TagKeyList)
}

type listTagsForResourceInput struct {
	resourceInput
	NextToken *string `json:"NextToken"`
}

func (in *listTagsForResourceInput) Check(v *awsapi.Validator) {
	in.resourceInput.Check(v)
	v.String("nextToken", in.NextToken, tokenPattern, 0, 512)
}

func (h *Handler) listTagsForResource(r *http.Request, body []byte) (any, error) {
	in, err := decode[listTagsForResourceInput](body)
	if err != nil {
		return nil, err
	}
	st, err := h.cfg.Store.Lookup(fragments.StreamRef{ARN: *in.ResourceARN})
	if err != nil {
		return nil, err
	}
	return tagsOf(st), nil
}
