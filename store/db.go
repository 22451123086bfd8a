// Package store keeps smsgw's state in one SQLite database in WAL mode: the
// records, the durable queue (goqite) and the statistics. Writes go through one
// connection and a group-commit writer; reads use a separate read-only pool.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"maragu.dev/goqite"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"smsgw/app"
)

// Options configure a DB. Zero values get defaults.
type Options struct {
	Path   string       // the database file, e.g. DATA/smsgw.db
	Logger *slog.Logger // nil: discard
	Now    func() time.Time
	// KeyPath is the file holding the key that encrypts stored secrets.
	// Default: secret.key beside the database.
	KeyPath string
	// MaxBatch caps how many callers' work the writer merges into one commit.
	MaxBatch int
	// ReceiptTimeout is how long a submitted message waits for its receipt
	// before Maintain expires it (default 72h).
	ReceiptTimeout time.Duration
	// ReplyResendWindow is how close together copies of a reply must come
	// to be stored once (default app.ReplyResendWindow).
	ReplyResendWindow time.Duration
	// Retention is how long message detail (messages, their batches,
	// replies) is kept (default 180 days).
	Retention time.Duration
	// AuditRetention is how long audit entries are kept (default 365 days;
	// the Cybersecurity Law asks for at least six months).
	AuditRetention time.Duration
	// MaxSizeMB caps the database file: beyond it writes fail with
	// ESTORAGE, as on a full disk, leaving room for the WAL and the system
	// (0: no cap).
	MaxSizeMB int
	// Exclusive marks the process that runs the sending engine: it takes the
	// database's lock (a second server refuses to start; see dataLock),
	// checks the file for damage before using it (see quickCheck) and makes
	// jobs claimed before a crash claimable again. CLI commands open without
	// it and may run beside the server.
	Exclusive bool
	// FullCheckMB: a server (Exclusive) opening a database up to this size
	// runs SQLite's quick_check on it first; a larger one gets a bounded
	// check (see quickCheck). Default DefaultFullCheckMB; negative: always
	// the bounded check.
	FullCheckMB int
	// Location is the platform's time zone: the statistics count by its
	// days (default Asia/Shanghai, else UTC+8).
	Location *time.Location
}

// DB is the opened database with its writer, reader pool and queue.
type DB struct {
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	wdb    *sql.DB // the one writer connection
	rdb    *sql.DB // read-only pool
	lock   *dataLock
	queue  *goqite.Queue
	writer *writer
	box    *secretBox
	audit  *auditLog // the audit log's key, anchor and refused calls (audit_key.go)
	notify chan struct{}
	stmts  map[string]*sql.Stmt // prepared on wdb; see stmts.go
	reads  *readStmts

	principals ttlCache[string, principalEntry] // by lookup condition and value
	signatures ttlCache[sigKey, bool]           // signature approved for a department
	templates  ttlCache[int64, *app.Template]   // by id; nil: no such template
	ancestors  ttlCache[int64, map[string]bool] // blacklists covering a department
	payers     payerCache                       // the account a department draws on
	words      wordCache

	gate   sync.RWMutex // held shared by every call, exclusively by Close
	lockMu sync.Mutex   // guards lock and lockHandedOver
	// lockHandedOver: HandOverLock's caller releases the lock, not Close.
	lockHandedOver bool
	closed         bool
	// statsOff: insertBatch leaves the counters alone (a benchmark's
	// baseline, with the trigger dropped; never set otherwise).
	statsOff bool
}

const sendQueue = "send"

// Open opens (creating if needed) the database, takes the database's lock
// (Exclusive) so that a second server refuses to start, and applies pending
// migrations.
func Open(ctx context.Context, opts Options) (*DB, error) {
	if opts.Path == "" {
		return nil, errors.New("store: no database path")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.KeyPath == "" {
		opts.KeyPath = filepath.Join(filepath.Dir(opts.Path), "secret.key")
	}
	if opts.MaxBatch == 0 {
		opts.MaxBatch = 512
	}
	if opts.ReceiptTimeout == 0 {
		opts.ReceiptTimeout = 72 * time.Hour
	}
	if opts.ReplyResendWindow == 0 {
		opts.ReplyResendWindow = app.ReplyResendWindow
	}
	if opts.Retention == 0 {
		opts.Retention = 180 * 24 * time.Hour
	}
	if opts.AuditRetention == 0 {
		opts.AuditRetention = 365 * 24 * time.Hour
	}
	if opts.Location == nil {
		opts.Location = shanghai()
	}
	if err := os.MkdirAll(filepath.Dir(opts.Path), 0o700); err != nil {
		return nil, err
	}
	if err := privateFile(opts.Path); err != nil {
		return nil, err
	}
	db := &DB{opts: opts, log: opts.Logger, now: opts.Now, notify: make(chan struct{}, 1)}
	if opts.Exclusive {
		lock, err := lockDatabase(opts.Path)
		if err != nil {
			return nil, err
		}
		db.lock = lock
	}
	if err := db.open(ctx); err != nil {
		db.Close() // also the pools and writer opened before the failure
		return nil, err
	}
	return db, nil
}

// privateFile creates path empty with mode 0600 if it does not exist, and
// makes an existing one 0600: the database holds phone numbers, message
// texts and password hashes, readable by no other account on the machine
// whatever the process's umask. SQLite gives its -wal and -shm files the
// main file's mode, and VACUUM INTO writes into an empty file it finds.
func privateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chmod(path, 0o600) // the mode given to OpenFile passes the umask; an old file keeps its own
}

func (db *DB) open(ctx context.Context) (err error) {
	// The pragmas are fixed strings: never build a DSN from user input.
	const pragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)"
	dsn := "file:" + db.opts.Path + "?" + pragmas + "&_txlock=immediate"
	if db.opts.MaxSizeMB > 0 {
		dsn += fmt.Sprintf("&_pragma=max_page_count(%d)", db.opts.MaxSizeMB*(1<<20)/4096) // 4 KiB pages
	}
	if db.wdb, err = sql.Open("sqlite", dsn); err != nil {
		return err
	}
	db.wdb.SetMaxOpenConns(1)
	db.wdb.SetMaxIdleConns(1)
	db.wdb.SetConnMaxLifetime(0)
	db.wdb.SetConnMaxIdleTime(0)
	// Checked before the migrations write to a damaged file.
	if db.opts.Exclusive {
		if err := db.quickCheck(ctx); err != nil {
			return err
		}
	}
	if err := db.migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// SQLite gives the WAL and shared-memory files the main file's mode
	// when it creates them; these were made 0644 by older versions.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Chmod(db.opts.Path+suffix, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	// The read pool opens after migration so the WAL and schema exist.
	if db.rdb, err = sql.Open("sqlite", "file:"+db.opts.Path+"?mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)"); err != nil {
		return err
	}
	db.rdb.SetMaxOpenConns(4)
	db.rdb.SetMaxIdleConns(4)
	db.reads = &readStmts{db: db.rdb}
	if db.box, err = db.openKey(ctx); err != nil {
		return err
	}
	if err := db.prepare(ctx); err != nil {
		return err
	}
	db.queue = goqite.New(goqite.NewOpts{DB: db.wdb, Name: sendQueue, MaxReceive: maxReceive, Timeout: jobTimeout})
	db.writer = newWriter(db.wdb, db.opts.MaxBatch, db.log)
	db.writer.queueJobs = db.queueRanges
	db.writer.settle = db.settleLedger
	db.writer.rolledBack = db.payers.reset
	if err := db.openAudit(ctx); err != nil {
		return err
	}
	if db.opts.Exclusive {
		if err := db.interruptImports(ctx); err != nil {
			return err
		}
		if err := db.warnExtClashes(ctx); err != nil {
			return err
		}
		return db.resume(ctx)
	}
	return nil
}

// enter admits a call unless the database is closed; leave must follow.
// Exported methods enter once and never call each other, so a waiting Close
// cannot deadlock them.
func (db *DB) enter() error {
	db.gate.RLock()
	if db.closed {
		db.gate.RUnlock()
		return app.Errorf(app.EUNAVAILABLE, "服务正在停止，请稍后重试 (shutting down)")
	}
	return nil
}

func (db *DB) leave() { db.gate.RUnlock() }

// Close waits for calls in progress, stops the writer after the work handed
// to it is committed, then closes the connections and releases the lock.
func (db *DB) Close() error {
	db.gate.Lock()
	defer db.gate.Unlock()
	if db.closed {
		return nil
	}
	db.closed = true
	db.closeAudit()
	if db.writer != nil {
		db.writer.close()
	}
	var errs []error
	if db.rdb != nil {
		errs = append(errs, db.rdb.Close())
	}
	if db.wdb != nil {
		errs = append(errs, db.wdb.Close())
	}
	db.closeFiles()
	return errors.Join(errs...)
}

func (db *DB) closeFiles() {
	db.lockMu.Lock()
	defer db.lockMu.Unlock()
	if db.lock != nil && !db.lockHandedOver {
		_ = db.lock.release()
		db.lock = nil
	}
}

// HandOverLock makes the caller responsible for releasing the data folder's
// lock: Close then leaves it held until release is called. The server calls
// release after the replicator, which reads the file after Close, has
// stopped: a second server must not start before then, and closing the
// lock's descriptor of the database file would drop the replicator's SQLite
// locks. Without Exclusive, release does nothing.
func (db *DB) HandOverLock() (release func() error) {
	db.lockMu.Lock()
	defer db.lockMu.Unlock()
	db.lockHandedOver = true
	lock := db.lock
	return func() error {
		db.lockMu.Lock()
		defer db.lockMu.Unlock()
		if lock == nil || db.lock == nil {
			return nil
		}
		db.lock = nil
		return lock.release()
	}
}

// ms converts a time to the integer milliseconds stored in the database.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS converts stored milliseconds back to a time; 0 is the zero time.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

// Size is the bytes the database takes on disk, with its WAL.
func (db *DB) Size() int64 {
	var n int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(db.opts.Path + suffix); err == nil {
			n += fi.Size()
		}
	}
	return n
}
