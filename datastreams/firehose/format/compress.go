package format

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
)

// The CompressionFormat values of the Firehose API (note the case).
const (
	Uncompressed = "UNCOMPRESSED"
	GZIP         = "GZIP"
	ZIP          = "ZIP"
	Snappy       = "Snappy"
	HadoopSnappy = "HADOOP_SNAPPY"
)

// hadoopBlockSize is how many uncompressed bytes one Hadoop-Snappy block
// holds: Hadoop's default io.compression.codec.snappy.buffersize (256 KiB).
const hadoopBlockSize = 256 << 10

// compressor turns the concatenated records into one object body.
type compressor struct {
	format string
	ext    string
}

func newCompressor(format string) (compressor, error) {
	switch format {
	case "", Uncompressed:
		return compressor{format: Uncompressed}, nil
	case GZIP:
		return compressor{format: GZIP, ext: ".gz"}, nil
	case ZIP:
		return compressor{format: ZIP, ext: ".zip"}, nil
	case Snappy:
		return compressor{format: Snappy, ext: ".snappy"}, nil
	case HadoopSnappy:
		return compressor{format: HadoopSnappy, ext: ".hsnappy"}, nil
	}
	return compressor{}, &ConfigError{Message: fmt.Sprintf(
		"CompressionFormat %q is not one of UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY", format)}
}

// compress returns the records, concatenated byte for byte, in c's format.
// entry names the one file of a ZIP archive.
func (c compressor) compress(records [][]byte, entry string, modified time.Time) ([]byte, error) {
	size := 0
	for _, r := range records {
		size += len(r)
	}
	switch c.format {
	case Uncompressed:
		out := make([]byte, 0, size)
		for _, r := range records {
			out = append(out, r...)
		}
		return out, nil
	case GZIP:
		var buf bytes.Buffer
		buf.Grow(size/4 + 64)
		zw := gzip.NewWriter(&buf)
		if err := writeAll(zw, records); err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return buf.Bytes(), nil
	case ZIP:
		var buf bytes.Buffer
		buf.Grow(size/4 + 256)
		zw := zip.NewWriter(&buf)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: entry, Method: zip.Deflate, Modified: modified})
		if err != nil {
			return nil, fmt.Errorf("zip: %w", err)
		}
		for _, r := range records {
			if _, err := w.Write(r); err != nil {
				return nil, fmt.Errorf("zip: %w", err)
			}
		}
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("zip: %w", err)
		}
		return buf.Bytes(), nil
	case Snappy:
		var buf bytes.Buffer
		buf.Grow(size/2 + 64)
		sw := s2.NewWriter(&buf, s2.WriterSnappyCompat(), s2.WriterConcurrency(1))
		if err := writeAll(sw, records); err != nil {
			return nil, fmt.Errorf("snappy: %w", err)
		}
		return buf.Bytes(), nil
	case HadoopSnappy:
		return hadoopSnappy(records, size), nil
	}
	return nil, fmt.Errorf("unknown compression format %q", c.format)
}

func writeAll(w io.WriteCloser, records [][]byte) error {
	for _, r := range records {
		if _, err := w.Write(r); err != nil {
			return err
		}
	}
	return w.Close()
}

// hadoopSnappy writes Hadoop's block framing of Snappy: for each block of
// at most hadoopBlockSize input bytes, its length as a 4-byte big-endian
// integer, then one compressed chunk: its length (4 bytes, big endian) and
// the raw Snappy block.
func hadoopSnappy(records [][]byte, size int) []byte {
	out := make([]byte, 0, size/2+64)
	block := make([]byte, 0, min(size, hadoopBlockSize))
	var chunk []byte
	flush := func() {
		if len(block) == 0 {
			return
		}
		chunk = s2.EncodeSnappy(chunk[:cap(chunk)], block)
		out = binary.BigEndian.AppendUint32(out, uint32(len(block)))
		out = binary.BigEndian.AppendUint32(out, uint32(len(chunk)))
		out = append(out, chunk...)
		block = block[:0]
	}
	for _, r := range records {
		for len(r) > 0 {
			n := min(len(r), hadoopBlockSize-len(block))
			block = append(block, r[:n]...)
			r = r[n:]
			if len(block) == hadoopBlockSize {
				flush()
			}
		}
	}
	flush()
	return out
}
