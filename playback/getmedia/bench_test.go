package getmedia

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkReader reads the captured GetMedia body (H.264 and AAC):
// MB/s of body and fragments/s.
func BenchmarkReader(b *testing.B) {
	body := captured(b)
	b.SetBytes(int64(len(body)))
	frags := 0
	for b.Loop() {
		r := NewReader(bytes.NewReader(body))
		for {
			if _, err := r.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
			frags++
		}
	}
	b.ReportMetric(float64(frags)/b.Elapsed().Seconds(), "fragments/s")
}

// BenchmarkWriteMP4 reads the captured body and writes it as fragmented
// MP4: MB/s of body in, frames/s out.
func BenchmarkWriteMP4(b *testing.B) {
	body := captured(b)
	b.SetBytes(int64(len(body)))
	frames := 0
	for b.Loop() {
		stats, err := WriteMP4(io.Discard, NewReader(bytes.NewReader(body)))
		if err != nil {
			b.Fatal(err)
		}
		frames += stats.Frames
	}
	b.ReportMetric(float64(frames)/b.Elapsed().Seconds(), "frames/s")
}
