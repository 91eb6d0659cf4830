package ratelog

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	var l Limiter
	t0 := time.Unix(1000, 0)
	if ok, n := l.Allow(t0); !ok || n != 1 {
		t.Fatalf("first event: %v %d", ok, n)
	}
	for i := 1; i <= 5; i++ {
		if ok, _ := l.Allow(t0.Add(time.Duration(i) * time.Second)); ok {
			t.Fatalf("event %d logged within the interval", i)
		}
	}
	if ok, n := l.Allow(t0.Add(Every)); !ok || n != 6 {
		t.Fatalf("after the interval: %v %d, want true 6", ok, n)
	}
}
