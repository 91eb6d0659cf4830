package putmedia

import (
	"bytes"
	"testing"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/ingest"

	"github.com/shardcast/shardcast/ingest/putmedia/putmediatest"
)

// memFixture is newFixture on memory storage: the fuzzer runs thousands
// of uploads a second, and minimizes what it finds by running more.
func memFixture(t testing.TB) *fixture {
	kr, err := envelope.NewStatic(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	store, err := fragments.Open(fragments.Config{Catalog: registry.NewMemCatalog(), Store: shard.NewMemStore(nil),
		MemStore: shard.NewMemStore(nil), Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.CreateStream(fragments.CreateInput{Name: "cam", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	m := ingest.NewManager(ingest.Config{Store: store})
	t.Cleanup(m.Close)
	return &fixture{store: store, m: m, svc: New(Config{Ingest: m})}
}

// FuzzRun feeds arbitrary bodies to an upload: it never panics, every
// PERSISTED names a fragment, and an upload that fails ends with ERROR.
func FuzzRun(f *testing.F) {
	fx := memFixture(f)
	// Small seeds (a 32x32 clip, 10 frames, a keyframe every 5): inputs
	// the fuzzer finds are minimized, which takes long on large ones.
	aus, sps, pps, err := putmediatest.ReadH264("testdata/tiny.h264")
	if err != nil {
		f.Fatal(err)
	}
	header := putmediatest.Header(1000000, putmediatest.Track{Number: 1, CodecID: "V_MPEG4/ISO/AVC",
		CodecPrivate: putmediatest.AVCConfig(sps, pps), Video: true, Width: 32, Height: 32})
	var clusters [][]byte
	for g := 0; g < 2; g++ {
		var frames []putmediatest.Frame
		for i := 0; i < 5; i++ {
			au := aus[g*5+i]
			frames = append(frames, putmediatest.Frame{Track: 1, Timecode: int16(i * 40), Keyframe: au.Keyframe, Data: putmediatest.AVCC(au.NALUs)})
		}
		clusters = append(clusters, putmediatest.Cluster(uint64(g*200), frames...))
	}
	f.Add(concat(header, clusters[0], clusters[1]))
	f.Add(concat(header, clusters[0][:len(clusters[0])/2]))
	f.Add(concat(header, clusters[1], clusters[0]))
	f.Add(concat(header, putmediatest.Cluster(0)))
	f.Add(concat(header, putmediatest.ClusterUnknownSize(0, putmediatest.Frame{Track: 1, Keyframe: true, Data: []byte{0, 0, 0, 9, 1}})))
	f.Add(concat(header, putmediatest.Tags("a", "b"), header))
	f.Add([]byte{0x1A, 0x45, 0xDF, 0xA3, 0xff})
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > 8<<10 {
			return
		}
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
