package sqltypes

import (
	"testing"
	"unsafe"
)

// A Value is copied into and out of every row: it stays within 48 bytes
// (a kind, a NULL flag, an integer, a float, a string header and one
// pointer).
func TestValueSize(t *testing.T) {
	if n := unsafe.Sizeof(Value{}); n > 48 {
		t.Fatalf("a Value is %d bytes", n)
	}
}
