package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// dataLock keeps a second server off a database. It holds two flocks:
//
//   - on the database file itself, opened through any symlink, so the lock
//     belongs to the file's inode: deleting a side file or reaching the same
//     database through a symlink or a hard link cannot get around it;
//   - on the side file DB.lock, which `smsgw standby` and `smsgw promote`
//     take too (a standby's copy may not exist yet when it starts), so a
//     server never starts on a folder being followed.
//
// flock and SQLite's own locks (POSIX fcntl) do not interact on Linux. But
// closing any descriptor of the database file drops every fcntl lock this
// process holds on it, SQLite's included, so the descriptor is closed only
// after the process's SQLite connections to the file (see DB.HandOverLock).
type dataLock struct {
	side *os.File
	db   *os.File
}

// lockDatabase takes both locks without waiting, creating the database file
// (empty, which SQLite takes for a new database) when it does not exist. The
// kernel drops the locks when the process dies, so a crashed server never
// blocks its own restart.
func lockDatabase(path string) (*dataLock, error) {
	side, err := lockFile(path + ".lock")
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		side.Close()
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		side.Close()
		real, rerr := filepath.EvalSymlinks(path)
		if rerr != nil {
			real = path
		}
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("数据库已被另一个 smsgw 进程使用 (database %s is in use by another smsgw process, maybe through another path or a symlink: stop it first)", real)
		}
		return nil, fmt.Errorf("lock %s: %w", real, err)
	}
	return &dataLock{side: side, db: f}, nil
}

// release drops both locks.
func (l *dataLock) release() error {
	return errors.Join(l.db.Close(), l.side.Close())
}

// lockFile takes an exclusive lock on a side file that the kernel drops when
// the process dies.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("数据目录已被另一个 smsgw 进程使用 (data folder in use by another smsgw process: %s): %w", filepath.Dir(path), err)
	}
	return f, nil
}
