package shard

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// syncData makes written data durable. fdatasync skips the inode timestamps
// that fsync would also write; file size and block allocation, which reads
// depend on, are still flushed.
func syncData(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// preallocate reserves blocks up to size so that commits overwrite
// allocated space instead of extending the file, which makes each fdatasync
// cheaper. It is advisory: file systems without fallocate just grow, and
// the caller only acts on a full disk.
func preallocate(f *os.File, size int64) error {
	for {
		err := unix.Fallocate(int(f.Fd()), 0, 0, size)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
