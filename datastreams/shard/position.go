package shard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/shardcast/shardcast/datastreams/fsutil"
)

// The position file keeps a sequence high-water mark: no record of the log
// has ever been numbered at or above it. The writer moves it ahead in steps
// before it hands out numbers past it, so that numbers never go backwards
// even when records at the tail are lost (a damaged disk, a file cut short):
// the next open starts numbering at the mark. A clean close sets the mark
// to the next number exactly, so only a crash leaves a gap.
//
// The file holds two 32-byte slots written alternately in place (no new
// blocks, so it works on a full disk): magic "SHRDPOS\x00" | u16 version |
// u16 slot | u32 generation | u64 mark | u32 reserved | u32 CRC32C. The slot
// with the higher generation and a good checksum wins.
const (
	positionName  = "position"
	positionMagic = "SHRDPOS\x00"
	// positionVersion is the position file's format, apart from segments'.
	positionVersion = 1
	slotSize        = 32
	// reserveStep is how many numbers one move of the mark covers.
	reserveStep = 1 << 16
)

type position struct {
	f    *os.File
	gen  uint32
	mark uint64
}

// openPosition opens (creating if needed) the position file of dir and
// returns it with the mark it holds (0 when none is readable).
func openPosition(dir string) (*position, error) {
	path := filepath.Join(dir, positionName)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	created := false
	if errors.Is(err, fs.ErrNotExist) {
		f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		created = true
	}
	if err != nil {
		return nil, fmt.Errorf("shard: position: %w", err)
	}
	p := &position{f: f}
	if created {
		// Allocate both slots now, so later writes never need space.
		if _, err := f.WriteAt(make([]byte, 2*slotSize), 0); err != nil {
			f.Close()
			return nil, fmt.Errorf("shard: position: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("shard: position: %w", err)
		}
		if err := fsutil.SyncDir(dir); err != nil {
			f.Close()
			return nil, fmt.Errorf("shard: position: %w", err)
		}
		return p, nil
	}
	p.gen, p.mark = readSlots(f)
	return p, nil
}

// readSlots returns the newest valid slot of a position file.
func readSlots(f *os.File) (gen uint32, mark uint64) {
	b := make([]byte, 2*slotSize)
	n, _ := f.ReadAt(b, 0)
	for i := 0; i+slotSize <= n; i += slotSize {
		if g, m, ok := parseSlot(b[i : i+slotSize]); ok && g > gen {
			gen, mark = g, m
		}
	}
	return gen, mark
}

// readPosition returns the mark of dir's position file without changing it.
func readPosition(dir string) (uint64, error) {
	f, err := os.Open(filepath.Join(dir, positionName))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	_, mark := readSlots(f)
	return mark, nil
}

func parseSlot(b []byte) (gen uint32, mark uint64, ok bool) {
	if string(b[:8]) != positionMagic || binary.BigEndian.Uint16(b[8:]) != positionVersion {
		return 0, 0, false
	}
	if crc32.Checksum(b[:28], castagnoli) != binary.BigEndian.Uint32(b[28:]) {
		return 0, 0, false
	}
	return binary.BigEndian.Uint32(b[12:]), binary.BigEndian.Uint64(b[16:]), true
}

// set makes mark durable.
func (p *position) set(mark uint64) error {
	gen := p.gen + 1
	slot := int(gen % 2)
	b := make([]byte, slotSize)
	copy(b, positionMagic)
	binary.BigEndian.PutUint16(b[8:], positionVersion)
	binary.BigEndian.PutUint16(b[10:], uint16(slot))
	binary.BigEndian.PutUint32(b[12:], gen)
	binary.BigEndian.PutUint64(b[16:], mark)
	binary.BigEndian.PutUint32(b[28:], crc32.Checksum(b[:28], castagnoli))
	if _, err := p.f.WriteAt(b, int64(slot*slotSize)); err != nil {
		return fmt.Errorf("shard: write %s: %w", p.f.Name(), err)
	}
	if err := syncData(p.f); err != nil {
		return fmt.Errorf("shard: fsync %s: %w", p.f.Name(), err)
	}
	p.gen, p.mark = gen, mark
	return nil
}

func (p *position) close() error { return p.f.Close() }
