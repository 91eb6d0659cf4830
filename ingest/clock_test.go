package ingest

import (
	"math/rand"
	"testing"
	"time"
)

// clockRun feeds a producerClock 25 units a second for seconds: unit i has
// media time i/25 s, arrives at arrival(i) and carries reported(i) (zero:
// no sender report). It checks that no unit is stamped later than its
// arrival and that the stamps of consecutive units never differ from
// their media spacing by more than the slew allows, and returns the
// producer times.
func clockRun(t *testing.T, seconds int, arrival, reported func(i int, media time.Duration) time.Time) []time.Time {
	t.Helper()
	var c producerClock
	const frame = 40 * time.Millisecond
	var out []time.Time
	for i := 0; i < seconds*25; i++ {
		m := time.Duration(i) * frame
		at := Timing{Arrival: arrival(i, m), Reported: reported(i, m)}
		p := c.observe(0, m, at)
		if p.After(at.Arrival) {
			t.Fatalf("unit %d stamped %v after its arrival", i, p.Sub(at.Arrival))
		}
		if i > 0 {
			// A unit's stamp moves from the previous one by its media
			// spacing, plus at most the slew, or down by what it arrived
			// earlier than the bound allowed.
			d := p.Sub(out[i-1]) - frame
			if d > frame/slewDivisor+time.Microsecond {
				t.Fatalf("unit %d: stamp jumped %v ahead", i, d)
			}
		}
		out = append(out, p)
	}
	return out
}

var epoch = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// A sender-report clock running 2 % fast is not followed past arrival:
// stamps stay between capture and arrival.
func TestClockFastSenderReports(t *testing.T) {
	const delay = 3 * time.Millisecond
	out := clockRun(t, 60,
		func(i int, m time.Duration) time.Time { return epoch.Add(m + delay) },
		func(i int, m time.Duration) time.Time { return epoch.Add(m + m/50) })
	for i, p := range out {
		if off := p.Sub(epoch.Add(time.Duration(i) * 40 * time.Millisecond)); off < 0 || off > delay {
			t.Fatalf("unit %d stamped %v from its capture time", i, off)
		}
	}
}

// An honest sender clock earlier than arrival is reached smoothly: the
// anchor moves at the slew rate, then sits on the reported clock.
func TestClockHonestSenderReportsReachedSmoothly(t *testing.T) {
	const latency = 300 * time.Millisecond
	out := clockRun(t, 120,
		func(i int, m time.Duration) time.Time { return epoch.Add(m + latency) },
		func(i int, m time.Duration) time.Time {
			if i < 50 {
				return time.Time{} // the first report comes after 2 s
			}
			return epoch.Add(m)
		})
	for i, p := range out {
		capture := epoch.Add(time.Duration(i) * 40 * time.Millisecond)
		if off := p.Sub(capture); off < 0 || off > latency {
			t.Fatalf("unit %d stamped %v from its capture time", i, off)
		}
	}
	if last := out[len(out)-1].Sub(epoch.Add(time.Duration(len(out)-1) * 40 * time.Millisecond)); last != 0 {
		t.Errorf("after 2 minutes, stamps are %v from the reported clock", last)
	}
}

// A sender clock that jitters (each report off by up to ±40 ms) and
// network jitter (up to 30 ms) never move stamps by more than the slew.
func TestClockJitter(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	jitter := make([]time.Duration, 25*60)
	for i := range jitter {
		jitter[i] = time.Duration(r.Int63n(int64(30 * time.Millisecond)))
	}
	var reportOff time.Duration
	out := clockRun(t, 60,
		func(i int, m time.Duration) time.Time { return epoch.Add(m + 10*time.Millisecond + jitter[i]) },
		func(i int, m time.Duration) time.Time {
			if i%125 == 0 { // a report every 5 s
				reportOff = time.Duration(r.Int63n(int64(80*time.Millisecond))) - 40*time.Millisecond
			}
			return epoch.Add(m + reportOff)
		})
	// Fragments of 2 s: consecutive ones stay within 50 ms of contiguous.
	for i := 50; i < len(out); i += 50 {
		if d := out[i].Sub(out[i-50]) - 2*time.Second; d > 50*time.Millisecond || d < -50*time.Millisecond {
			t.Errorf("fragment at unit %d: %v from contiguous", i, d)
		}
	}
}

// A sender whose media runs slow against the server's clock (0.3 %: an
// encoder that does not quite keep up) is followed within the slew rate:
// stamps track arrival instead of falling behind it without end.
func TestClockSlowMediaFollowed(t *testing.T) {
	out := clockRun(t, 120,
		func(i int, m time.Duration) time.Time { return epoch.Add(m + m*3/1000) },
		func(i int, m time.Duration) time.Time { return time.Time{} })
	last := len(out) - 1
	m := time.Duration(last) * 40 * time.Millisecond
	if lag := epoch.Add(m + m*3/1000).Sub(out[last]); lag > 10*time.Millisecond {
		t.Errorf("after 2 minutes, stamps lag arrival by %v", lag)
	}
}

// Sender reports carry NTP time with a binary fraction (RFC 3550), as
// ffmpeg writes it: 0x80000000 is half a second; encoding goes back.
func TestNTPTime(t *testing.T) {
	want := time.Date(2030, 6, 1, 12, 0, 0, 500_000_000, time.UTC)
	v := uint64(want.Unix()+2208988800)<<32 | 0x80000000
	if got := ntpTime(v); !got.Equal(want) {
		t.Fatalf("ntpTime = %v, want %v", got.UTC(), want)
	}
	if got := NTPStamp(want); got != v {
		t.Fatalf("NTPStamp = %#x, want %#x", got, v)
	}
}

// Units of two tracks handed over in another order than they arrived (a
// video frame completed by its last packet after an audio frame that came
// in before it), and audio running ahead of video in media time: neither
// may stamp a video unit before the video unit ahead of it. This is how a
// GStreamer camera's fragments went backwards by 1 to 40 ms.
func TestClockTracksNeverGoBack(t *testing.T) {
	ms := time.Millisecond
	type unit struct {
		track          int
		media, arrival time.Duration
	}
	for name, units := range map[string][]unit{
		"handover order": {
			{0, 0, 0},
			{0, 1000 * ms, 45 * ms},   // the next GOP's keyframe, in the first burst
			{1, 2000 * ms, 44 * ms},   // audio two seconds in, stamped as arriving a little earlier
			{0, 2000 * ms, 1044 * ms}, // the following keyframe, in real time
		},
		"audio ahead": {
			{0, 0, 0},
			{1, 1038 * ms, 5 * ms}, // the encoder's first burst: audio 38 ms ahead of video
			{0, 1000 * ms, 6 * ms},
			{0, 2000 * ms, 1006 * ms},
		},
	} {
		var c producerClock
		prev := map[int]time.Time{}
		for i, u := range units {
			p := c.observe(u.track, u.media, Timing{Arrival: epoch.Add(u.arrival)})
			if q, ok := prev[u.track]; ok && p.Before(q) {
				t.Fatalf("%s: unit %d stamped %v before the previous unit of track %d", name, i, q.Sub(p), u.track)
			}
			prev[u.track] = p
		}
	}
}
