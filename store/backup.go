package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database, as of one moment, to
// dir/smsgw.db (VACUUM INTO: compacted, with no WAL to carry), and the key
// that encrypts its stored secrets to dir/secret.key, so Open on dir gives
// a working copy. dir must not hold a database yet. The tests' scenario
// tables run each scenario on such a copy of one prepared database.
func (db *DB) Backup(ctx context.Context, dir string) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	path := filepath.Join(dir, "smsgw.db")
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s exists", path)
	}
	key, err := os.ReadFile(db.opts.KeyPath)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.key"), key, 0o600); err != nil {
		return err
	}
	if err := privateFile(path); err != nil {
		return err
	}
	// A connection of its own, neither the writer (VACUUM INTO would hold
	// it for the whole copy) nor the read pool (read-only connections may
	// not write the new file). It reads one snapshot, like any reader.
	conn, err := sql.Open("sqlite", "file:"+db.opts.Path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `vacuum into ?`, path)
	return err
}
