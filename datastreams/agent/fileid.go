package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// fingerprintLen is how many leading bytes identify a file along with its
// device and inode: a reused inode, or a file truncated and written again,
// has other first bytes.
const fingerprintLen = 1024

// fileID names one file across renames and restarts.
type fileID struct {
	Dev   uint64 `json:"dev"`
	Ino   uint64 `json:"ino"`
	FPLen int    `json:"fpLen"`
	FP    string `json:"fp"` // hex SHA-256 of the first FPLen bytes
}

func (id fileID) sameInode(o fileID) bool { return id.Dev == o.Dev && id.Ino == o.Ino }

func (id fileID) String() string { return fmt.Sprintf("%d:%d:%.12s", id.Dev, id.Ino, id.FP) }

// inodeOf returns the device and inode of a file.
func inodeOf(fi os.FileInfo) (dev, ino uint64, err error) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, errors.New("no device and inode on this system")
	}
	return uint64(st.Dev), uint64(st.Ino), nil //nolint:unconvert // Dev is int32 on some systems
}

// prefixHash hashes the first n bytes of f; ok is false when f is shorter.
func prefixHash(f *os.File, n int) (string, bool, error) {
	buf := make([]byte, n)
	m, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, err
	}
	if m < n {
		return "", false, nil
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:]), true, nil
}

// identify reads the id of an open file, fingerprinting up to
// fingerprintLen bytes (fewer when the file is shorter).
func identify(f *os.File) (fileID, os.FileInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		return fileID{}, nil, err
	}
	dev, ino, err := inodeOf(fi)
	if err != nil {
		return fileID{}, nil, err
	}
	n := int(min(fi.Size(), fingerprintLen))
	fp, ok, err := prefixHash(f, n)
	if err != nil {
		return fileID{}, nil, err
	}
	if !ok { // shrank between Stat and the read
		n, fp = 0, emptyHash
	}
	return fileID{Dev: dev, Ino: ino, FPLen: n, FP: fp}, fi, nil
}

var emptyHash = func() string { s := sha256.Sum256(nil); return hex.EncodeToString(s[:]) }()

// matches reports whether the open file f is still the file id names: same
// inode and the same first id.FPLen bytes. It fails for a file truncated
// below the fingerprint or rewritten.
func (id fileID) matches(f *os.File, dev, ino uint64) (bool, error) {
	if id.Dev != dev || id.Ino != ino {
		return false, nil
	}
	if id.FPLen == 0 {
		return true, nil
	}
	fp, ok, err := prefixHash(f, id.FPLen)
	if err != nil || !ok {
		return false, err
	}
	return fp == id.FP, nil
}
