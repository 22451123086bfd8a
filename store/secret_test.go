package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"smsgw/app"
	"smsgw/store"
)

// TestSecretKey pins when Open makes a key and when it refuses: a server
// started with a new key accepted messages its channels could never send.
func TestSecretKey(t *testing.T) {
	ctx := context.Background()
	foreign := []byte(strings.Repeat("ab", 32) + "\n")
	// sealed returns a closed database folder whose database holds a secret
	// sealed by seal, and its key file's path.
	sealed := func(t *testing.T, seal func(db *store.DB)) (path, key string) {
		t.Helper()
		db, path := MustOpenDBPath(t)
		seal(db)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		return path, filepath.Join(filepath.Dir(path), "secret.key")
	}
	withChannel := func(db *store.DB) {
		if err := db.CreateChannel(ctx, validChannel()); err != nil {
			t.Fatal(err)
		}
	}
	withAPIKey := func(db *store.DB) {
		MustAPIKey(t, db, app.RootDepartmentID, app.RoleOperator)
	}
	refused := func(t *testing.T, path string, want ...string) {
		t.Helper()
		for _, exclusive := range []bool{true, false} { // the server, and CLI commands
			db, err := store.Open(ctx, store.Options{Path: path, Exclusive: exclusive})
			if err == nil {
				db.Close()
				t.Fatalf("opened (exclusive %v) with a key that cannot read the stored secrets", exclusive)
			}
			for _, w := range append(want, "secret.key", "backed up at install") {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not say %q", err, w)
				}
			}
		}
	}

	t.Run("ANewFolderGetsAKey", func(t *testing.T) {
		_, path := MustOpenDBPath(t)
		raw, err := os.ReadFile(filepath.Join(filepath.Dir(path), "secret.key"))
		if err != nil || len(bytes.TrimSpace(raw)) != 64 {
			t.Fatalf("key file %q, %v", raw, err)
		}
	})

	t.Run("RefusesAMissingKeyWhenChannelPasswordsAreStored", func(t *testing.T) {
		path, key := sealed(t, withChannel)
		os.Remove(key)
		refused(t, path, "missing", key)
		if _, err := os.Stat(key); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("a new key was written: %v", err)
		}
	})

	t.Run("RefusesAMissingKeyWhenAPISecretsAreStored", func(t *testing.T) {
		path, key := sealed(t, withAPIKey)
		os.Remove(key)
		refused(t, path, "missing")
	})

	t.Run("RefusesAForeignKey", func(t *testing.T) {
		path, key := sealed(t, withChannel)
		if err := os.WriteFile(key, foreign, 0o600); err != nil {
			t.Fatal(err)
		}
		refused(t, path, "does not open 1 of the 1")
		if raw, _ := os.ReadFile(key); !bytes.Equal(raw, foreign) {
			t.Fatal("the key file was changed")
		}
	})

	t.Run("RefusesAForeignKeyForAPISecrets", func(t *testing.T) {
		path, key := sealed(t, withAPIKey)
		os.WriteFile(key, foreign, 0o600)
		refused(t, path, "does not open")
	})

	t.Run("RefusesADamagedKeyFile", func(t *testing.T) {
		path, key := sealed(t, withChannel)
		os.WriteFile(key, []byte("not a key\n"), 0o600)
		refused(t, path, "damaged")
	})

	t.Run("OpensWithTheRightKeyRestored", func(t *testing.T) {
		path, key := sealed(t, withChannel)
		saved, _ := os.ReadFile(key)
		os.Remove(key)
		refused(t, path)
		os.WriteFile(key, saved, 0o600)
		db := MustReopenDB(t, path)
		list, err := db.FindChannels(ctx)
		if err != nil || len(list) != 1 || list[0].Password != "pw123456" {
			t.Fatalf("channels %v, %v", list, err)
		}
	})

	t.Run("MakesANewKeyWhileNothingIsSealed", func(t *testing.T) {
		path, key := sealed(t, func(*store.DB) {})
		os.Remove(key)
		MustReopenDB(t, path)
		if _, err := os.Stat(key); err != nil {
			t.Fatalf("no new key: %v", err)
		}
	})
}
