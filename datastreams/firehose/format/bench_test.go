package format

import (
	"fmt"
	"testing"
)

func benchRecords(n int) ([][]byte, int) {
	var records [][]byte
	size := 0
	for i := range n {
		r := fmt.Appendf(nil, `{"user_id":"user-%d","ts":%d,"n":%d,"payload":"event number %d from the benchmark"}`+"\n",
			i%1000, 1783951509000+int64(i), i, i)
		records = append(records, r)
		size += len(r)
	}
	return records, size
}

func benchEncode(b *testing.B, cfg EncoderConfig) {
	records, size := benchRecords(20000)
	e, err := NewEncoder(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	for b.Loop() {
		if _, failed, err := e.Encode("bench", records); err != nil || failed != nil {
			b.Fatal(err, failed)
		}
	}
	b.ReportMetric(float64(size)*float64(b.N)/b.Elapsed().Seconds()/1e6, "MB/s-input")
}

func BenchmarkEncodeGZIP(b *testing.B)   { benchEncode(b, EncoderConfig{Compression: GZIP}) }
func BenchmarkEncodeSnappy(b *testing.B) { benchEncode(b, EncoderConfig{Compression: Snappy}) }

func BenchmarkEncodeParquet(b *testing.B) {
	benchEncode(b, EncoderConfig{Conversion: openX(nil), Tables: Tables{smallTable}})
}
