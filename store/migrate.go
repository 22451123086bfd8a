package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies the embedded migrations not yet recorded, in name order,
// each in its own transaction together with its record.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.wdb.ExecContext(ctx, `create table if not exists migrations (name text primary key, applied_at integer not null)`); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		var n int
		if err := db.wdb.QueryRowContext(ctx, `select count(*) from migrations where name = ?`, name).Scan(&n); err != nil {
			return err
		} else if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := db.wdb.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("%s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `insert into migrations (name, applied_at) values (?, ?)`, name, ms(db.now())); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		db.log.Info("migration applied", "name", name)
	}
	if err := db.installStatusMachine(ctx); err != nil {
		return err
	}
	return db.installStatsCounters(ctx)
}
