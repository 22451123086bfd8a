package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// The audit chain is keyed (issue 14, item 9): each entry's hash is an
// HMAC-SHA256 under a key derived from secret.key, which lives beside the
// database but not in it. Whoever can write the database but not read the
// key cannot recompute the chain after an edit.
//
// The head is anchored outside the database: a signed file beside it
// (anchorPath) records the last entry's id and hash. It is refreshed at most
// once a second after commits that appended to the log, and when the
// database closes; each refresh is also logged (at most every ten minutes,
// and at close), so shipped logs hold the head too. An entry appended less
// than about two seconds before an attacker deletes it (the anchor not yet
// refreshed) is the window verify cannot see.
const (
	auditKeyLabel   = "smsgw audit chain v1"
	anchorEvery     = time.Second
	anchorLogEvery  = 10 * time.Minute
	auditKeyedFlag  = "audit_keyed" // upkeep: the chain is keyed (see upgradeAudit)
	anchorSignLabel = "anchor\x00"
)

// auditLog is the audit log's state outside the database: its key, the
// anchor, and the loop that keeps the anchor up to date.
type auditLog struct {
	key        []byte
	anchorPath string
	// appended is set by appendAudit and read after the commit: the anchor
	// is behind the log.
	appended atomic.Bool
	dirty    atomic.Bool
	// checked is the writer goroutine's own: upgradeAudit has run.
	checked bool

	refused refusedCalls

	mu         sync.Mutex // guards the anchor file and lastLogged
	lastLogged time.Time

	stop chan struct{}
	done chan struct{}
}

// auditKey derives the chain's key from the key that seals secrets, under
// a label of its own: neither key reveals the other.
func auditKey(box *secretBox) []byte {
	m := hmac.New(sha256.New, box.key)
	m.Write([]byte(auditKeyLabel))
	return m.Sum(nil)
}

// openAudit sets up the audit log's state. A server (Exclusive) also keys
// a chain written by an earlier version and anchors the head if no anchor
// exists yet (a new data folder, or a copy restored into one).
func (db *DB) openAudit(ctx context.Context) error {
	db.audit = &auditLog{key: auditKey(db.box), anchorPath: db.opts.Path + ".anchor",
		stop: make(chan struct{}), done: make(chan struct{})}
	db.audit.refused.init()
	db.writer.audit = db.appendAudit
	db.writer.committed = func() {
		if db.audit.appended.Swap(false) {
			db.audit.dirty.Store(true)
		}
	}
	// Started first: Close waits for it, also when the rest of open fails.
	go db.auditLoop()
	if db.opts.Exclusive {
		if err := db.writer.doAlone(ctx, db.upgradeAudit); err != nil {
			return fmt.Errorf("audit log: %w", err)
		}
		if _, err := os.Stat(db.audit.anchorPath); errors.Is(err, os.ErrNotExist) {
			var entries int
			if err := db.rdb.QueryRowContext(ctx, `select count(*) from audit_log`).Scan(&entries); err == nil && entries > 0 {
				// A new database, a restored copy or a deleted anchor: the
				// last is worth a look, so it is said, not just repaired.
				db.log.Error("the audit anchor was missing and is written again from the log as it is; if this is not a new, restored or promoted copy, the anchor was deleted",
					"path", db.audit.anchorPath, "entries", entries)
			}
			if err := db.refreshAnchor(ctx); err != nil {
				return fmt.Errorf("audit anchor: %w", err)
			}
		}
	}
	return nil
}

// closeAudit stops the loop, stores the refused calls still counted and
// refreshes the anchor. Close calls it before stopping the writer.
func (db *DB) closeAudit() {
	if db.audit == nil {
		return
	}
	close(db.audit.stop)
	<-db.audit.done
	ctx := context.Background()
	if err := db.flushRefused(ctx, true); err != nil {
		db.log.Error("storing the refused calls counted failed", "error", err)
	}
	db.audit.mu.Lock()
	db.audit.lastLogged = time.Time{} // the head anchored at close is logged
	db.audit.mu.Unlock()
	if db.audit.dirty.Swap(false) {
		if err := db.refreshAnchor(ctx); err != nil {
			db.log.Error("writing the audit anchor failed", "error", err)
		}
	}
}

// auditLoop stores the refused calls of each past minute and refreshes the
// anchor when the log has grown, once a second.
func (db *DB) auditLoop() {
	defer close(db.audit.done)
	t := time.NewTicker(anchorEvery)
	defer t.Stop()
	for {
		select {
		case <-db.audit.stop:
			return
		case <-t.C:
		}
		ctx := context.Background()
		if err := db.flushRefused(ctx, false); err != nil {
			db.log.Error("storing the refused calls counted failed", "error", err)
		}
		if db.audit.dirty.Swap(false) {
			if err := db.refreshAnchor(ctx); err != nil {
				db.log.Error("writing the audit anchor failed", "error", err)
			}
		}
	}
}

// anchor is the signed record of the log's head, kept outside the database.
type anchor struct {
	LastID int64  `json:"last_id"`
	Hash   string `json:"hash"`
	Count  int64  `json:"count"` // entries in the log when it was written
	At     string `json:"at"`
	Sig    string `json:"sig"`
}

func (a *anchor) sign(key []byte) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s%d\x00%s\x00%d\x00%s", anchorSignLabel, a.LastID, a.Hash, a.Count, a.At)
	return hex.EncodeToString(m.Sum(nil))
}

// readAnchor reads and checks the anchor file: os.ErrNotExist when there
// is none, errBadAnchor when it is not one this key signed.
func readAnchor(path string, key []byte) (*anchor, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var a anchor
	if json.Unmarshal(raw, &a) != nil || !hmac.Equal([]byte(a.sign(key)), []byte(a.Sig)) {
		return nil, errBadAnchor
	}
	return &a, nil
}

var errBadAnchor = errors.New("bad anchor")

// auditHead is the log's last entry (id and hash), from the retention
// checkpoint when pruning left the log empty, and how many entries it holds.
func auditHead(ctx context.Context, q querier) (last int64, hash string, count int64, err error) {
	err = q.QueryRowContext(ctx, `select coalesce(max(id), 0), count(*) from audit_log`).Scan(&last, &count)
	if err != nil {
		return 0, "", 0, err
	}
	if count > 0 {
		err = q.QueryRowContext(ctx, `select hash from audit_log where id = ?`, last).Scan(&hash)
		return last, hash, count, err
	}
	cp, err := loadCheckpoint(ctx, q)
	if err != nil || cp == nil {
		return 0, genesis, 0, err
	}
	return cp.FirstID - 1, cp.PrevHash, 0, nil
}

// refreshAnchor writes the log's head to the anchor file, whole or not at
// all (a temporary file, synced, renamed over the old one). It never moves
// the anchor back: a log shorter than its anchor is what verify reports
// (entries deleted, or a database restored to an earlier state), and the
// anchor keeps saying so until an administrator removes it.
func (db *DB) refreshAnchor(ctx context.Context) error {
	db.audit.mu.Lock()
	defer db.audit.mu.Unlock()
	last, hash, count, err := auditHead(ctx, db.rdb)
	if err != nil {
		return err
	}
	if old, err := readAnchor(db.audit.anchorPath, db.audit.key); err == nil && old.LastID > last {
		db.log.Error("the audit log ends before its anchor: entries are missing; audit verify says which",
			"anchor_last_id", old.LastID, "log_last_id", last)
		return nil
	} else if err == nil && old.LastID > 0 {
		// The log must still hold the anchored entry as anchored: a tail
		// deleted and regrown past the anchor is not a new head.
		var h string
		e := db.rdb.QueryRowContext(ctx, `select hash from audit_log where id = ?`, old.LastID).Scan(&h)
		if e == nil && h != old.Hash {
			db.log.Error("the audit log's entry at its anchor differs from the anchor: entries were replaced; audit verify says which",
				"anchor_last_id", old.LastID)
			return nil
		}
	}
	a := &anchor{LastID: last, Hash: hash, Count: count, At: db.now().UTC().Format(time.RFC3339)}
	a.Sig = a.sign(db.audit.key)
	raw, _ := json.Marshal(a)
	if err := writeFileAtomic(db.audit.anchorPath, append(raw, '\n')); err != nil {
		return err
	}
	if now := time.Now(); now.Sub(db.audit.lastLogged) >= anchorLogEvery {
		db.audit.lastLogged = now
		db.log.Info("audit anchor", "last_id", a.LastID, "hash", a.Hash, "count", a.Count, "sig", a.Sig)
	}
	return nil
}

// writeFileAtomic replaces path with data: written to a temporary file in
// the same folder, synced, renamed over path, and the folder synced.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// upgradeAudit keys a chain written before the chain was keyed (plain
// SHA-256), once: the entries from the first whose plain hashes verify are
// rehashed with the key, in one transaction, and the upkeep flag says it
// is done. An entry that did not verify (edited under the old version) and
// those after it keep their old hashes, so verify still reports the first
// of them. It never runs when an anchor exists: a database whose flag an
// attacker removed is not re-keyed over a forged chain.
func (db *DB) upgradeAudit(ctx context.Context, tx *sql.Tx) error {
	done, err := upkeepValue(ctx, tx, auditKeyedFlag)
	if err != nil {
		return err
	}
	if done == 1 {
		// Seen committed: no need to look again in this process.
		db.audit.checked = true
		return nil
	}
	if _, err := os.Stat(db.audit.anchorPath); errors.Is(err, os.ErrNotExist) {
		n, err := db.rekeyAudit(ctx, tx)
		if err != nil {
			return err
		}
		if n > 0 {
			db.log.Warn("the audit log's chain is now keyed with secret.key (upgrade)", "entries", n)
			db.audit.appended.Store(true)
		}
	}
	_, err = tx.ExecContext(ctx, `insert into upkeep (name, value) values (?, 1)
		on conflict (name) do update set value = excluded.value`, auditKeyedFlag)
	return err
}

func (db *DB) rekeyAudit(ctx context.Context, tx *sql.Tx) (int, error) {
	rows, err := tx.QueryContext(ctx, `select `+auditColumns+`, prev_hash, hash from audit_log order by id`)
	if err != nil {
		return 0, err
	}
	type rekeyed struct {
		id         int64
		prev, hash string
	}
	var out []rekeyed
	oldPrev, newPrev := genesis, genesis
	for rows.Next() {
		var prevHash, hash string
		e, err := scanAudit(rows, &prevHash, &hash)
		if err != nil {
			rows.Close()
			return 0, err
		}
		if e.ID != int64(len(out)+1) || prevHash != oldPrev || auditHash(nil, oldPrev, e) != hash {
			break
		}
		h := auditHash(db.audit.key, newPrev, e)
		out = append(out, rekeyed{e.ID, newPrev, h})
		oldPrev, newPrev = hash, h
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, r := range out {
		if _, err := tx.ExecContext(ctx, `update audit_log set prev_hash = ?, hash = ? where id = ?`, r.prev, r.hash, r.id); err != nil {
			return 0, err
		}
	}
	return len(out), nil
}

// auditKeyed reports whether the log's chain is keyed: the upgrade ran, or
// an anchor exists. Only a log that is neither is verified as plain SHA-256
// (an older version's, not yet opened by a server of this one).
func (db *DB) auditKeyed(ctx context.Context) (bool, error) {
	var v int64
	err := db.rdb.QueryRowContext(ctx, `select value from upkeep where name = ?`, auditKeyedFlag).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	if v == 1 {
		return true, nil
	}
	_, err = os.Stat(db.audit.anchorPath)
	return !errors.Is(err, os.ErrNotExist), nil
}
