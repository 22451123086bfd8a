package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"smsgw/app"
	"smsgw/store"
)

// TestChannels pins channel records: validation, and the SMPP password kept
// encrypted at rest yet readable by the engine.
func TestChannels(t *testing.T) {
	ctx := context.Background()

	t.Run("StoresPasswordEncryptedAndReturnsItDecrypted", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		c := validChannel()
		c.Carriers = []app.Carrier{app.CarrierMobile}
		if err := db.CreateChannel(ctx, c); err != nil {
			t.Fatal(err)
		}
		var stored string
		if err := MustRawDB(t, path).QueryRow(`select password_enc from channels where id = ?`, c.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored == "" || strings.Contains(stored, "pw123456") {
			t.Fatalf("password stored as %q: want it encrypted", stored)
		}
		got := mustFindChannel(t, db, c.ID)
		if got.Password != "pw123456" || got.Name != c.Name || got.SourceAddr != "10690001" || got.Weight != 1 ||
			len(got.Carriers) != 1 || got.Carriers[0] != app.CarrierMobile || !got.Enabled || got.CreatedAt.IsZero() {
			t.Fatalf("found %+v, want the created channel %+v", *got, *c)
		}
	})

	t.Run("UpdateWithEmptyPasswordKeepsIt", func(t *testing.T) {
		db := MustOpenDB(t)
		c := mustChannel(t, db)
		update := *c
		update.Name, update.Password, update.TPS, update.Enabled = "改名", "", 50, false
		if err := db.UpdateChannel(ctx, &update); err != nil {
			t.Fatal(err)
		}
		got := mustFindChannel(t, db, c.ID)
		if got.Password != "pw123456" || got.Name != "改名" || got.TPS != 50 || got.Enabled {
			t.Fatalf("after update: %+v", *got)
		}
		update.Password = "newpass"
		if err := db.UpdateChannel(ctx, &update); err != nil {
			t.Fatal(err)
		}
		if got := mustFindChannel(t, db, c.ID); got.Password != "newpass" {
			t.Fatalf("password %q after setting a new one", got.Password)
		}
	})

	t.Run("UpdateOfUnknownChannelIsNotFound", func(t *testing.T) {
		db := MustOpenDB(t)
		c := validChannel()
		c.ID = 42
		wantCode(t, db.UpdateChannel(ctx, c), app.ENOTFOUND)
	})

	t.Run("RejectsBadFieldsNamingTheField", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		tests := []struct {
			field string
			edit  func(c *app.Channel)
		}{
			{"name", func(c *app.Channel) { c.Name = " " }},
			{"host", func(c *app.Channel) { c.Host = "" }},
			{"host", func(c *app.Channel) { c.Host = "smsc.example.com:2775" }},
			{"port", func(c *app.Channel) { c.Port = 0 }},
			{"port", func(c *app.Channel) { c.Port = 70000 }},
			{"system_id", func(c *app.Channel) { c.SystemID = "" }},
			{"system_id", func(c *app.Channel) { c.SystemID = "a_very_long_system_id" }},
			{"password", func(c *app.Channel) { c.Password = "123456789" }},
			{"source_addr", func(c *app.Channel) { c.SourceAddr = "1069abc" }},
			{"source_addr", func(c *app.Channel) { c.SourceAddr = "" }},
			{"tps", func(c *app.Channel) { c.TPS = 0 }},
			{"window", func(c *app.Channel) { c.Window = 2000 }},
			{"weight", func(c *app.Channel) { c.Weight = 1001 }},
			{"carriers", func(c *app.Channel) { c.Carriers = []app.Carrier{"pigeon"} }},
		}
		existing := mustChannel(t, db)
		for _, tt := range tests {
			t.Run(tt.field, func(t *testing.T) {
				c := validChannel()
				tt.edit(c)
				wantField(t, db.CreateChannel(ctx, c), tt.field)
				c.ID = existing.ID
				wantField(t, db.UpdateChannel(ctx, c), tt.field)
			})
		}
		if n := count(t, MustRawDB(t, path), `select count(*) from channels`); n != 1 {
			t.Fatalf("%d channels stored, want only the valid one", n)
		}
		if got := mustFindChannel(t, db, existing.ID); got.Name != existing.Name {
			t.Fatalf("a rejected update changed the channel: %+v", *got)
		}
	})
}

// TestOpen pins how the data folder is shared between processes.
func TestOpen(t *testing.T) {
	ctx := context.Background()

	t.Run("SecondExclusiveOpenFailsNamingAnotherProcess", func(t *testing.T) {
		_, path := MustOpenDBPath(t)
		db, err := store.Open(ctx, store.Options{Path: path, Exclusive: true})
		if err == nil {
			db.Close()
			t.Fatal("a second exclusive open succeeded")
		}
		if !strings.Contains(err.Error(), "another") {
			t.Fatalf("error %q does not say another process holds the folder", err)
		}
	})

	t.Run("NonExclusiveOpenWorksBesideTheServer", func(t *testing.T) {
		server, path := MustOpenDBPath(t)
		c := mustChannel(t, server)
		cli, err := store.Open(ctx, store.Options{Path: path})
		if err != nil {
			t.Fatalf("open beside the server: %v", err)
		}
		defer cli.Close()
		// The CLI reads the server's records, secrets included (same key file).
		if got := mustFindChannel(t, cli, c.ID); got.Password != "pw123456" {
			t.Fatalf("CLI read password %q", got.Password)
		}
		// And its writes reach the server.
		c2 := validChannel()
		c2.Name = "命令行添加"
		if err := cli.CreateChannel(ctx, c2); err != nil {
			t.Fatal(err)
		}
		if got := mustFindChannel(t, server, c2.ID); got.Name != "命令行添加" {
			t.Fatalf("server reads %q", got.Name)
		}
	})

	t.Run("ReleasesTheLockOnClose", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		MustReopenDB(t, path)
	})

	t.Run("KeepsRecordsAcrossReopen", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		res := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 3), Content: text("持久")})
		c := mustChannel(t, db)
		db.Close()
		db = MustReopenDB(t, path)
		for _, id := range sentIDs(res) {
			MustFind(t, db, id)
		}
		if got := mustFindChannel(t, db, c.ID); got.Password != "pw123456" {
			t.Fatalf("password after reopen %q", got.Password)
		}
	})

	t.Run("RefusesAnEmptyPath", func(t *testing.T) {
		if db, err := store.Open(ctx, store.Options{}); err == nil {
			db.Close()
			t.Fatal("opened without a path")
		}
	})

	t.Run("RefusesAWrongKeyFile", func(t *testing.T) {
		dir := t.TempDir()
		db, err := store.Open(ctx, store.Options{Path: filepath.Join(dir, "smsgw.db"), KeyPath: filepath.Join(dir, "smsgw.db")})
		if err == nil {
			db.Close()
			t.Fatal("opened with the database as the key file")
		}
	})
}

// mustFindChannel returns channel id from FindChannels.
func mustFindChannel(t *testing.T, db *store.DB, id int64) *app.Channel {
	t.Helper()
	list, err := db.FindChannels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("channel %d not found among %d", id, len(list))
	return nil
}
