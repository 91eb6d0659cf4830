package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Which files a flow follows: the pattern's matches, known by inode and
// first bytes, oldest first.

// candidate is a file the pattern names now.
type candidate struct {
	path  string
	f     *os.File
	fi    os.FileInfo
	state *fileState
}

// scan matches the files of the pattern to the flow's states, adds new
// ones, drops states of files that are gone, and returns the open
// candidates (the caller closes them).
func (f *flow) scan() ([]*candidate, error) {
	paths, err := filepath.Glob(f.s.pattern)
	if err != nil {
		return nil, fmt.Errorf("filePattern %s: %w", f.s.pattern, err)
	}
	var cands []*candidate
	var changed bool
	var states []*fileState
	f.a.read(func() { states = slices.Clone(f.st.Files) })
	matched := map[*fileState]bool{}
	for _, p := range paths {
		c, err := f.match(p, states, matched)
		if err != nil || c == nil {
			continue // gone or unreadable between Glob and Open
		}
		if c.state == nil {
			id, _, err := identify(c.f)
			if err != nil {
				c.f.Close()
				continue
			}
			c.state = &fileState{fileID: id, Path: p}
			if f.fresh && !f.s.startOfFile {
				c.state.Offset = c.fi.Size()
			}
			states = append(states, c.state)
			matched[c.state] = true
			changed = true
		}
		cands = append(cands, c)
	}
	// A file of the flow that no longer matches may have been rotated to
	// a name the pattern misses: look for its inode next to the pattern.
	for _, st := range states {
		if matched[st] || st.Done || (f.curState == st) {
			continue
		}
		if c := f.findByInode(st); c != nil {
			matched[st] = true
			cands = append(cands, c)
		}
	}
	if f.fresh && !f.s.startOfFile && len(cands) > 0 {
		// END_OF_FILE at the first start: only the newest file is
		// followed; older ones count as shipped.
		newest := slices.MaxFunc(cands, func(a, b *candidate) int { return a.fi.ModTime().Compare(b.fi.ModTime()) })
		f.a.read(func() {
			for _, c := range cands {
				c.state.Done = c != newest
			}
		})
	}
	kept := states[:0]
	for _, st := range states {
		if matched[st] || f.curState == st {
			kept = append(kept, st)
			continue
		}
		changed = true
		if !st.Done {
			f.a.log.Warn("agent: file gone before it was shipped to its end", "flow", f.s.id, "file", st.Path, "offset", st.Offset)
		}
	}
	if changed || f.fresh {
		f.fresh = false
		if err := f.a.update(func() { f.st.Files = kept }); err != nil {
			closeAll(cands)
			return nil, err
		}
	}
	return cands, nil
}

// match opens path and finds its state among states.
func (f *flow) match(path string, states []*fileState, matched map[*fileState]bool) (*candidate, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := fd.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		fd.Close()
		return nil, err
	}
	dev, ino, err := inodeOf(fi)
	if err != nil {
		fd.Close()
		return nil, err
	}
	c := &candidate{path: path, f: fd, fi: fi}
	for _, st := range states {
		if matched[st] {
			continue
		}
		ok, err := st.matches(fd, dev, ino)
		if err != nil {
			fd.Close()
			return nil, err
		}
		if ok {
			c.state = st
			matched[st] = true
			if st.Path != path {
				f.a.read(func() { st.Path = path })
			}
			break
		}
	}
	return c, nil
}

// findByInode looks in the pattern's directory for the file of st.
func (f *flow) findByInode(st *fileState) *candidate {
	dir := filepath.Dir(f.s.pattern)
	if strings.ContainsAny(dir, "*?[") {
		return nil
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	for _, de := range des {
		info, err := de.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		dev, ino, err := inodeOf(info)
		if err != nil || dev != st.Dev || ino != st.Ino {
			continue
		}
		p := filepath.Join(dir, de.Name())
		c, err := f.match(p, []*fileState{st}, map[*fileState]bool{})
		if err != nil || c == nil {
			return nil
		}
		if c.state == nil {
			c.f.Close()
			return nil
		}
		return c
	}
	return nil
}

func closeAll(cs []*candidate) {
	for _, c := range cs {
		c.f.Close()
	}
}

// openNext makes the oldest unfinished file the current one.
func (f *flow) openNext() error {
	cands, err := f.scan()
	if err != nil {
		return err
	}
	// Oldest first; on equal times (coarse file system clocks) the file
	// the flow has known longer.
	order := map[*fileState]int{}
	f.a.read(func() {
		for i, st := range f.st.Files {
			order[st] = i
		}
	})
	var next *candidate
	for _, c := range cands {
		if c.state.Done {
			continue
		}
		if next == nil || c.fi.ModTime().Before(next.fi.ModTime()) ||
			(c.fi.ModTime().Equal(next.fi.ModTime()) && order[c.state] < order[next.state]) {
			next = c
		}
	}
	for _, c := range cands {
		if c != next {
			c.f.Close()
		}
	}
	if next == nil {
		return nil
	}
	var off int64
	f.a.read(func() { off = next.state.Offset })
	if off > next.fi.Size() {
		off = 0 // truncated while the agent was away
	}
	f.cur = openTail(next.path, next.f, next.state.fileID, off, f.s.skipHeader, splitter{start: f.s.multiLine})
	f.curState, f.curMtime, f.lastGrowth = next.state, next.fi.ModTime(), time.Now()
	f.curPath.Store(next.path)
	return nil
}

// isSuperseded reports whether another unfinished file of the flow exists:
// the current one was rotated away (or the pattern names several files,
// and only the newest is followed).
func (f *flow) isSuperseded() (bool, error) {
	cands, err := f.scan()
	if err != nil {
		return false, err
	}
	defer closeAll(cands)
	for _, c := range cands {
		if c.state != f.curState && !c.state.Done {
			return true, nil
		}
	}
	return false, nil
}
