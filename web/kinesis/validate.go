package kinesis

import (
	"sort"
	"strings"

	"github.com/shardcast/shardcast/web/awsapi"
)

// Model patterns, printed back in ValidationException messages as written.
var (
	namePattern   = awsapi.Pattern(`[a-zA-Z0-9_.-]+`)
	arnPattern    = awsapi.Pattern(`arn:aws.*:kinesis:.*:\d{12}:stream/\S+`)
	hashPattern   = awsapi.Pattern(`0|([1-9]\d{0,38})`)
	seqPattern    = awsapi.Pattern(`0|([1-9]\d{0,128})`)
	resARNPattern = awsapi.Pattern(`arn:aws.*:kinesis:.*:\d{12}:.*stream/\S+`)
	// StreamId is reserved by AWS ("Not Implemented").
	streamIDPattern = awsapi.Pattern(`[a-z0-9]{20}-[a-z0-9]{3}`)
)

func deref[T any](p *T) T {
	if p == nil {
		var z T
		return z
	}
	return *p
}

// tagMap checks a tag map member as AWS does (it prints the whole map).
func tagMap(v *awsapi.Validator, path string, tags map[string]string, min, max int) {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + tags[k]
	}
	printed := "{" + strings.Join(parts, ", ") + "}"
	v.Len(path, len(tags), printed, min, max)
	for _, k := range keys {
		if n := len([]rune(k)); n < 1 || n > 128 {
			v.Custom(printed, path, "Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]")
			break
		}
	}
	for _, k := range keys {
		if len([]rune(tags[k])) > 256 {
			v.Custom(printed, path, "Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 0]")
			break
		}
	}
}

// stringList checks a list of strings whose members have length bounds.
func stringList(v *awsapi.Validator, path string, list []string, min, max, memberMax int) {
	printed := "[" + strings.Join(list, ", ") + "]"
	v.Len(path, len(list), printed, min, max)
	for _, s := range list {
		if n := len([]rune(s)); n < 1 || n > memberMax {
			v.Custom(printed, path, "Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]")
			break
		}
	}
}
