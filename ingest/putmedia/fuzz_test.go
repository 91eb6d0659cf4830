package putmedia

import (
	"bytes"
	"testing"

	"github.com/shardcast/shardcast/ingest/putmedia/putmediatest"
)

// FuzzRun feeds arbitrary bodies to an upload: it never panics, every
// PERSISTED names a fragment, and an upload that fails ends with ERROR.
func FuzzRun(f *testing.F) {
	fx := newFixture(f, Config{})
	header, clusters := gops(f, 0)
	f.Add(concat(header, clusters[0], clusters[1]))
	f.Add(concat(header, clusters[0][:len(clusters[0])/2]))
	f.Add(concat(header, clusters[1], clusters[0]))
	f.Add(concat(header, putmediatest.Cluster(0)))
	f.Add(concat(header, putmediatest.ClusterUnknownSize(0, putmediatest.Frame{Track: 1, Keyframe: true, Data: []byte{0, 0, 0, 9, 1}})))
	f.Add(concat(header, putmediatest.Tags("a", "b"), header))
	f.Add([]byte{0x1A, 0x45, 0xDF, 0xA3, 0xff})
	f.Fuzz(func(t *testing.T, body []byte) {
		up, err := fx.svc.Start(Request{Stream: "cam", TimecodeType: TimecodeRelative})
		if err != nil {
			t.Fatal(err)
		}
		a := newAcks()
		err = up.Run(bytes.NewReader(body), a.send)
		for _, x := range a.got {
			if x.EventType == EventPersisted && x.FragmentNumber == "" {
				t.Fatalf("PERSISTED without a number: %+v", x)
			}
		}
		if err != nil && (len(a.got) == 0 || a.got[len(a.got)-1].EventType != EventError) {
			t.Fatalf("ended with %v but no ERROR: %+v", err, a.got)
		}
	})
}
