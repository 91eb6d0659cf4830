package format

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// testRecords makes records of mixed sizes and content, some highly
// compressible, some not, totalling more than one Hadoop-Snappy block.
func testRecords(n int) ([][]byte, []byte) {
	rng := rand.New(rand.NewPCG(1, 2))
	var records [][]byte
	var all []byte
	for i := range n {
		var r []byte
		switch i % 3 {
		case 0:
			r = fmt.Appendf(nil, `{"id":%d,"msg":"hello firehose","n":%d}`+"\n", i, rng.IntN(1000))
		case 1:
			r = make([]byte, rng.IntN(3000))
			for j := range r {
				r[j] = byte(rng.IntN(256))
			}
		default:
			r = bytes.Repeat([]byte("abc"), rng.IntN(5000))
		}
		records = append(records, r)
		all = append(all, r...)
	}
	return records, all
}

// tool runs an independent program on body and returns what it prints.
func tool(t *testing.T, body []byte, name string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is needed (make deps installs it): %v", name, err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, stderr.String())
	}
	return out
}

// crc32cFix replaces python3-snappy's CRC-32C, whose C extension fails on
// Debian bookworm's Python 3.11 ("PY_SSIZE_T_CLEAN macro must be
// defined"), with a table-driven one in Python; the checksums of the
// Snappy framing format are still verified.
const crc32cFix = `import snappy, snappy.snappy as _ss
_T = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _T.append(_c)
def _crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _T[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF
_ss._crc32c = _crc32c
`

// python runs Debian's python3 (which has python3-snappy) with a script
// that reads the object from stdin and writes the records to stdout.
func python(t *testing.T, body []byte, script string) []byte {
	t.Helper()
	return tool(t, body, "/usr/bin/python3", "-c", "import sys\n"+script)
}

func encode(t *testing.T, compression string, records [][]byte) Object {
	t.Helper()
	e, err := NewEncoder(EncoderConfig{Compression: compression})
	if err != nil {
		t.Fatal(err)
	}
	obj, failed, err := e.Encode("stream-1-2026-07-13-14-05-09-uuid", records)
	if err != nil || failed != nil {
		t.Fatalf("Encode: %v %v", failed, err)
	}
	if obj.ContentEncoding != "" || obj.ContentType != "application/octet-stream" || obj.Records != len(records) {
		t.Fatalf("object metadata: %+v", obj)
	}
	return obj
}

func TestCompressionFormatsDecompressWithIndependentReaders(t *testing.T) {
	records, want := testRecords(400)
	if len(want) < 2*hadoopBlockSize {
		t.Fatalf("the records (%d bytes) should span several Hadoop-Snappy blocks", len(want))
	}
	cases := []struct {
		format, ext string
		readers     map[string]func(t *testing.T, body []byte) []byte
	}{
		{Uncompressed, "", map[string]func(*testing.T, []byte) []byte{
			"cat": func(t *testing.T, b []byte) []byte { return tool(t, b, "cat") },
		}},
		{GZIP, ".gz", map[string]func(*testing.T, []byte) []byte{
			"gzip -d": func(t *testing.T, b []byte) []byte { return tool(t, b, "gzip", "-dc") },
			"python gzip": func(t *testing.T, b []byte) []byte {
				return python(t, b, "import gzip\nsys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))")
			},
		}},
		{ZIP, ".zip", map[string]func(*testing.T, []byte) []byte{
			"unzip": func(t *testing.T, b []byte) []byte {
				path := filepath.Join(t.TempDir(), "o.zip")
				if err := os.WriteFile(path, b, 0o600); err != nil {
					t.Fatal(err)
				}
				return tool(t, nil, "unzip", "-p", path, "stream-1-2026-07-13-14-05-09-uuid")
			},
			"python zipfile": func(t *testing.T, b []byte) []byte {
				return python(t, b, `import io, zipfile
z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
names = z.namelist()
assert names == ["stream-1-2026-07-13-14-05-09-uuid"], names
sys.stdout.buffer.write(z.read(names[0]))`)
			},
		}},
		{Snappy, ".snappy", map[string]func(*testing.T, []byte) []byte{
			"python-snappy framing": func(t *testing.T, b []byte) []byte {
				return python(t, b, crc32cFix+`d = snappy.StreamDecompressor()
out = d.decompress(sys.stdin.buffer.read())
d.flush()
sys.stdout.buffer.write(out)`)
			},
		}},
		{HadoopSnappy, ".hsnappy", map[string]func(*testing.T, []byte) []byte{
			"python-snappy hadoop": func(t *testing.T, b []byte) []byte {
				return python(t, b, `import io
from snappy import hadoop_snappy
out = io.BytesIO()
hadoop_snappy.stream_decompress(io.BytesIO(sys.stdin.buffer.read()), out)
sys.stdout.buffer.write(out.getvalue())`)
			},
			"block walk with raw snappy": func(t *testing.T, b []byte) []byte {
				// Reads the framing by hand; each chunk is a raw Snappy block.
				return python(t, b, `import struct, snappy
data = sys.stdin.buffer.read()
i = 0
while i < len(data):
    (n,) = struct.unpack(">I", data[i:i+4]); i += 4
    got = b""
    while len(got) < n:
        (c,) = struct.unpack(">I", data[i:i+4]); i += 4
        got += snappy.uncompress(data[i:i+c]); i += c
    assert len(got) == n and n <= 256*1024
    sys.stdout.buffer.write(got)`)
			},
		}},
	}
	for _, c := range cases {
		t.Run(c.format, func(t *testing.T) {
			obj := encode(t, c.format, records)
			if obj.Ext != c.ext {
				t.Fatalf("extension %q, want %q", obj.Ext, c.ext)
			}
			for name, read := range c.readers {
				if got := read(t, obj.Body); !bytes.Equal(got, want) {
					t.Fatalf("%s: %d bytes back, want the %d bytes put", name, len(got), len(want))
				}
			}
		})
	}
}

func TestCompressionEmptyAndOneByteBatches(t *testing.T) {
	for _, f := range []string{GZIP, ZIP, Snappy, HadoopSnappy} {
		for _, records := range [][][]byte{{[]byte("x")}, {{}, []byte("a"), {}}} {
			obj := encode(t, f, records)
			var got []byte
			switch f {
			case GZIP:
				got = tool(t, obj.Body, "gzip", "-dc")
			case ZIP:
				got = python(t, obj.Body, "import io, zipfile\nz = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))\nsys.stdout.buffer.write(z.read(z.namelist()[0]))")
			case Snappy:
				got = python(t, obj.Body, crc32cFix+"sys.stdout.buffer.write(snappy.StreamDecompressor().decompress(sys.stdin.buffer.read()))")
			case HadoopSnappy:
				got = python(t, obj.Body, "import io\nfrom snappy import hadoop_snappy\no = io.BytesIO()\nhadoop_snappy.stream_decompress(io.BytesIO(sys.stdin.buffer.read()), o)\nsys.stdout.buffer.write(o.getvalue())")
			}
			if want := bytes.Join(records, nil); !bytes.Equal(got, want) {
				t.Fatalf("%s: got %q, want %q", f, got, want)
			}
		}
	}
}

func TestZIPEntryNameAndTime(t *testing.T) {
	at := time.Date(2026, 7, 13, 14, 5, 10, 0, time.UTC)
	e, err := NewEncoder(EncoderConfig{Compression: ZIP, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	obj, _, err := e.Encode("", [][]byte{[]byte("a")})
	if err != nil {
		t.Fatal(err)
	}
	got := python(t, obj.Body, "import io, zipfile\ni = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read())).infolist()[0]\nprint(i.filename, i.date_time)")
	if want := "records (2026, 7, 13, 14, 5, 10)\n"; string(got) != want {
		t.Fatalf("entry %q, want %q", got, want)
	}
}

func TestUnknownCompressionFormat(t *testing.T) {
	for _, f := range []string{"gzip", "SNAPPY", "LZ4"} {
		_, err := NewEncoder(EncoderConfig{Compression: f})
		if _, ok := err.(*ConfigError); !ok {
			t.Fatalf("%s: %v, want a *ConfigError", f, err)
		}
	}
}
