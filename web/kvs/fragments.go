package kvs

import (
	"net/http"
	"time"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/web/awsapi"
)

type timestampRange struct {
	StartTimestamp *awsapi.Timestamp `json:"StartTimestamp"`
	EndTimestamp   *awsapi.Timestamp `json:"EndTimestamp"`
}

// fragmentSelector is the selector of ListFragments, the streaming
// sessions and GetClip: a timestamp type and a range.
type fragmentSelector struct {
	FragmentSelectorType *string         `json:"FragmentSelectorType"`
	TimestampRange       *timestampRange `json:"TimestampRange"`
}

// values returns what a selector holds, nil where it is absent.
func (s *fragmentSelector) values() (typ string, start, end *time.Time) {
	if s == nil {
		return "", nil, nil
	}
	if tr := s.TimestampRange; tr != nil {
		if tr.StartTimestamp != nil {
			start = &tr.StartTimestamp.Time
		}
		if tr.EndTimestamp != nil {
			end = &tr.EndTimestamp.Time
		}
	}
	return deref(s.FragmentSelectorType), start, end
}

type listFragmentsInput struct {
	streamInput
	MaxResults       *int              `json:"MaxResults"`
	NextToken        *string           `json:"NextToken"`
	FragmentSelector *fragmentSelector `json:"FragmentSelector"`
}

func (in *listFragmentsInput) Check(v *awsapi.Validator) {
	in.streamInput.Check(v)
	v.Int("maxResults", in.MaxResults, 1, 1000)
	v.String("nextToken", in.NextToken, fragTokenPattern, 1, 4096)
	if s := in.FragmentSelector; s != nil {
		if v.Required("fragmentSelector.fragmentSelectorType", s.FragmentSelectorType != nil) {
			v.Enum("fragmentSelector.fragmentSelectorType", s.FragmentSelectorType, fragments.ProducerTimestamp, fragments.ServerTimestamp)
		}
		if v.Required("fragmentSelector.timestampRange", s.TimestampRange != nil) {
			v.Required("fragmentSelector.timestampRange.startTimestamp", s.TimestampRange.StartTimestamp != nil)
			v.Required("fragmentSelector.timestampRange.endTimestamp", s.TimestampRange.EndTimestamp != nil)
		}
	}
}

type fragmentOut struct {
	FragmentNumber               string           `json:"FragmentNumber"`
	FragmentSizeInBytes          int64            `json:"FragmentSizeInBytes"`
	ProducerTimestamp            awsapi.Timestamp `json:"ProducerTimestamp"`
	ServerTimestamp              awsapi.Timestamp `json:"ServerTimestamp"`
	FragmentLengthInMilliseconds int64            `json:"FragmentLengthInMilliseconds"`
}

func (h *Handler) listFragments(r *http.Request, body []byte) (any, error) {
	in, err := decode[listFragmentsInput](body)
	if err != nil {
		return nil, err
	}
	st, err := h.cfg.Store.Lookup(in.ref())
	if err != nil {
		return nil, err
	}
	var sel *fragments.Selector
	if s := in.FragmentSelector; s != nil {
		sel = &fragments.Selector{Type: *s.FragmentSelectorType, Start: s.TimestampRange.StartTimestamp.Time, End: s.TimestampRange.EndTimestamp.Time}
	}
	list, next, err := st.ListFragments(r.Context(), sel, deref(in.MaxResults), deref(in.NextToken))
	if err != nil {
		return nil, err
	}
	out := struct {
		Fragments []fragmentOut `json:"Fragments"`
		NextToken string        `json:"NextToken,omitempty"`
	}{Fragments: []fragmentOut{}, NextToken: next}
	for _, f := range list {
		out.Fragments = append(out.Fragments, fragmentOut{FragmentNumber: f.Number, FragmentSizeInBytes: f.Size,
			ProducerTimestamp: awsapi.Timestamp{Time: f.ProducerTime}, ServerTimestamp: awsapi.Timestamp{Time: f.ServerTime},
			FragmentLengthInMilliseconds: f.Duration.Milliseconds()})
	}
	return out, nil
}
