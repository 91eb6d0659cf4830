package natsstore

import "testing"

func TestLogStateMapping(t *testing.T) {
	var s logState
	if s.ourSeq(5) != 5 || s.jsSeq(5) != 5 {
		t.Fatal("no breaks: identity")
	}
	// FirstSeq 100: JetStream 1 is our 100.
	s = s.skip(1, 100)
	if s.ourSeq(1) != 100 || s.jsSeq(100) != 1 || s.jsSeq(3) != 1 {
		t.Fatalf("first seq: %d %d %d", s.ourSeq(1), s.jsSeq(100), s.jsSeq(3))
	}
	// Records 100..104 at JetStream 1..5, then SkipTo(1000).
	s = s.skip(6, 1000)
	for js := uint64(1); js <= 5; js++ {
		if s.ourSeq(js) != 99+js || s.jsSeq(99+js) != js {
			t.Fatalf("js %d", js)
		}
	}
	if s.ourSeq(6) != 1000 || s.jsSeq(105) != 6 || s.jsSeq(999) != 6 || s.jsSeq(1000) != 6 || s.jsSeq(1001) != 7 {
		t.Fatalf("after skip: %d %d %d %d", s.ourSeq(6), s.jsSeq(105), s.jsSeq(999), s.jsSeq(1001))
	}
	// A second skip at the same JetStream sequence replaces the first.
	s = s.skip(6, 2000)
	if len(s.Breaks) != 2 || s.ourSeq(6) != 2000 || s.jsSeq(1500) != 6 {
		t.Fatalf("replaced skip: %+v", s)
	}
}
