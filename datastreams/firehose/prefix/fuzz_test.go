package prefix

import (
	"testing"
	"time"
)

func FuzzPrefix(f *testing.F) {
	for _, s := range []string{
		"", "logs/", "!{timestamp:yyyy'-'MM}/", "!{partitionKeyFromQuery:a}/!{firehose:random-string}",
		"!{", "!{}", "!{timestamp:'}", "!{timestamp:''''}", "!{firehose:error-output-type}",
	} {
		f.Add(s, "e/!{firehose:error-output-type}/", true)
	}
	f.Fuzz(func(t *testing.T, prefix, errPrefix string, dynamic bool) {
		p, err := New(Config{Prefix: prefix, ErrorOutputPrefix: errPrefix, DynamicPartitioning: dynamic})
		if err != nil {
			return
		}
		keys := map[string]string{}
		for _, k := range append(p.QueryKeys(), p.LambdaKeys()...) {
			keys[k] = "v"
		}
		ts := time.Unix(1_700_000_000, 0)
		if s, err := p.Prefix(ts, keys); err == nil && len(s) > MaxEvaluated {
			t.Fatalf("evaluated prefix of %d characters", len(s))
		}
		if _, err := p.ErrorPrefix(ts, "processing-failed"); err != nil && len(errPrefix) < 400 && len(prefix) < 400 {
			t.Fatalf("ErrorPrefix: %v", err)
		}
	})
}
