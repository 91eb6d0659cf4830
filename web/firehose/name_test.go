package firehose

import (
	"strings"
	"testing"
)

// Every operation refuses a malformed name in AWS's words before any lookup.
func TestRequireName(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"", "Value null at 'deliveryStreamName' failed to satisfy constraint: Member must not be null"},
		{"bad name!", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"},
		{strings.Repeat("a", 65), "Member must have length less than or equal to 64"},
	} {
		err := requireName(c.name)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "ValidationException: 1 validation error detected: ") {
			t.Errorf("%q: %v", c.name, err)
		}
	}
	if err := requireName("logs_2026.v-1"); err != nil {
		t.Fatal(err)
	}
}
