package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"

	"smsgw/app"
	"smsgw/store"
)

// eachMessage calls fn for every message in the database of data folder
// dir, newest first, through store's message listing (its read pool). The
// folder's server must be stopped: store has no read-only open, so this
// opens the database as smsgw's CLI commands do (no lock, no engine). A
// keyPath other than "" names the key file that encrypts the folder's
// secrets, for a restored copy that has none of its own.
func eachMessage(ctx context.Context, dir, keyPath string, fn func(*app.Message)) error {
	db, err := store.Open(ctx, store.Options{Path: filepath.Join(dir, store.DBFile), KeyPath: keyPath,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	defer db.Close()
	sysadmin := &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}
	for cursor := ""; ; {
		list, next, err := db.FindMessages(ctx, sysadmin, app.MessageFilter{Limit: 1000, Cursor: cursor})
		if err != nil {
			return err
		}
		for _, m := range list {
			fn(m)
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}
