package fragments

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/shardcast/shardcast/datastreams/shard"
)

// The disk reserve keeps free space on the data directory's file system by
// deleting the oldest video first, as a recorder does: whole sealed
// segments, the one whose newest fragment is oldest across every video
// stream, until free space is back above the reserve. The newest segment of
// a stream is never deleted. It runs every ReserveCheck and at once when an
// append meets a full disk (CheckReserve).

// segmentLister is what the reserve needs of a durable log.
type segmentLister interface {
	Segments() []shard.SegmentInfo
}

// reserveOn says whether a disk reserve is configured.
func (s *Store) reserveOn() bool {
	return s.cfg.ReserveDir != "" && (s.cfg.ReserveBytes > 0 || s.cfg.ReservePercent > 0)
}

// CheckReserve asks for a check of the disk reserve now (an append met a
// full disk). It does not wait for the check.
func (s *Store) CheckReserve() { s.reserveWake() }

func (s *Store) reserveWake() {
	select {
	case s.reserveC <- struct{}{}:
	default:
	}
}

func (s *Store) reserveLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.ReserveCheck)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		case <-s.reserveC:
		}
		s.enforceReserve()
	}
}

// freeSpace returns the bytes free to us on the data directory's file
// system and the reserve to keep.
func (s *Store) freeSpace() (free, reserve int64, err error) {
	var fs unix.Statfs_t
	if err := unix.Statfs(s.cfg.ReserveDir, &fs); err != nil {
		return 0, 0, fmt.Errorf("fragments: free space of %s: %w", s.cfg.ReserveDir, err)
	}
	free = int64(fs.Bavail) * int64(fs.Bsize)
	total := int64(fs.Blocks) * int64(fs.Bsize)
	reserve = max(s.cfg.ReserveBytes, int64(s.cfg.ReservePercent/100*float64(total)))
	return free, reserve, nil
}

// enforceReserve deletes the oldest video segments while free space is
// below the reserve, and reports how many it deleted. It runs on its own
// when a reserve is configured.
func (s *Store) enforceReserve() int {
	if !s.reserveOn() {
		return 0
	}
	deleted := 0
	for {
		free, reserve, err := s.freeSpace()
		if err != nil {
			s.cfg.Logger.Warn("fragments: disk reserve", "err", err)
			return deleted
		}
		if free >= reserve {
			return deleted
		}
		st, seg := s.oldestSegment()
		if st == nil {
			if ok, _ := s.reserveLog.Allow(time.Now()); ok {
				s.cfg.Logger.Warn("fragments: free space is below the disk reserve and no video is left to delete",
					"free_bytes", free, "reserve_bytes", reserve)
			}
			return deleted
		}
		m := st.def()
		l := st.log.Load()
		n, err := l.TrimBefore(seg.LastTime + 1)
		if err != nil && !errors.Is(err, shard.ErrClosed) {
			s.cfg.Logger.Error("fragments: disk reserve: delete the oldest video", "stream", m.Name, "err", err)
			return deleted
		}
		if n == 0 {
			return deleted // the stream changed meanwhile; the next check sees
		}
		deleted++
		s.cfg.Logger.Warn("fragments: disk reserve: deleted the oldest video", "stream", m.Name,
			"from", time.Unix(0, seg.Created).UTC(), "to", time.Unix(0, seg.LastTime).UTC(),
			"fragments", n, "bytes", seg.Bytes, "free_bytes", free, "reserve_bytes", reserve)
		s.flushIndex()
		if err := s.idx.TrimFragments(m.ID, l.Bounds().First); err != nil {
			s.cfg.Logger.Warn("fragments: disk reserve: trim the time index (retention does it later)", "stream", m.Name, "err", err)
		}
	}
}

// oldestSegment finds, across every durable video stream, the sealed
// segment whose newest fragment is the oldest.
func (s *Store) oldestSegment() (*Stream, shard.SegmentInfo) {
	var best *Stream
	var seg shard.SegmentInfo
	for _, st := range s.all() {
		sl, ok := st.log.Load().Log.(segmentLister)
		if !ok {
			continue // in memory
		}
		segs := sl.Segments()
		if len(segs) < 2 || segs[0].LastSeq == 0 {
			continue
		}
		if best == nil || segs[0].LastTime < seg.LastTime {
			best, seg = st, segs[0]
		}
	}
	return best, seg
}
