package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"smsgw/store"
)

// What `smsgw serve` refuses to start on, run as the binary an operator
// runs: a server it would share its database with, a key that cannot read
// the stored secrets, a damaged file.
func TestServeRefusesABadStart(t *testing.T) {
	bin := buildBinary(t)
	// stopped returns a data folder a demo server has run on (channels with
	// passwords, an API key), stopped.
	stopped := func(t *testing.T) string {
		t.Helper()
		dir := t.TempDir()
		cmd := serveProcess(t, bin, dir, freeAddr(t))
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		return dir
	}
	refused := func(t *testing.T, want []string, args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		if err == nil {
			t.Fatalf("smsgw %s succeeded:\n%s", strings.Join(args, " "), out)
		}
		if ctx.Err() != nil {
			t.Fatalf("smsgw %s still ran after 60 s", strings.Join(args, " "))
		}
		for _, w := range want {
			if !strings.Contains(string(out), w) {
				t.Fatalf("smsgw %s says %q, not %q", strings.Join(args, " "), out, w)
			}
		}
	}

	t.Run("ASecondServerAfterTheLockFileIsDeleted", func(t *testing.T) {
		dir := t.TempDir()
		serveProcess(t, bin, dir, freeAddr(t))
		if err := os.Remove(filepath.Join(dir, store.DBFile+".lock")); err != nil {
			t.Fatal(err)
		}
		refused(t, []string{"another smsgw process"}, "serve", "--data", dir, "--listen", freeAddr(t))
	})

	t.Run("ASecondServerOnASymlinkedDatabase", func(t *testing.T) {
		dir, other := t.TempDir(), t.TempDir()
		serveProcess(t, bin, dir, freeAddr(t))
		os.Symlink(filepath.Join(dir, store.DBFile), filepath.Join(other, store.DBFile))
		os.Symlink(filepath.Join(dir, "secret.key"), filepath.Join(other, "secret.key"))
		refused(t, []string{"another smsgw process"}, "serve", "--data", other, "--listen", freeAddr(t))
	})

	t.Run("AMissingKeyIsNotReplaced", func(t *testing.T) {
		dir := stopped(t)
		key := filepath.Join(dir, "secret.key")
		saved, _ := os.ReadFile(key)
		os.Remove(key)
		refused(t, []string{"secret.key", "backed up at install"}, "serve", "--data", dir, "--listen", freeAddr(t))
		if _, err := os.Stat(key); err == nil {
			t.Fatal("serve wrote a new key")
		}
		refused(t, []string{"missing"}, "check", "--data", dir)
		// The backed-up key put back, it serves again.
		os.WriteFile(key, saved, 0o600)
		addr := freeAddr(t)
		cmd := startProcess(t, bin, "http://"+addr+"/healthz", "", "serve", "--data", dir, "--listen", addr)
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("serve with the key restored: %v", err)
		}
	})

	t.Run("AForeignKey", func(t *testing.T) {
		dir := stopped(t)
		os.WriteFile(filepath.Join(dir, "secret.key"), []byte(strings.Repeat("0f", 32)+"\n"), 0o600)
		refused(t, []string{"does not open", "backed up at install"}, "serve", "--data", dir, "--listen", freeAddr(t))
	})

	t.Run("ADatabaseDamagedMidFile", func(t *testing.T) {
		dir := stopped(t)
		out, err := exec.Command(bin, "check", "--data", dir).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "database ok") || !strings.Contains(string(out), "key ok") {
			t.Fatalf("check of a sound folder: %v\n%s", err, out)
		}
		path := filepath.Join(dir, store.DBFile)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		junk := []byte(strings.Repeat("garbage!", 3*4096/8))
		f.WriteAt(junk, fi.Size()/4096/2*4096) // three pages from the middle on
		f.Close()
		refused(t, []string{"damaged", "smsgw restore"}, "check", "--data", dir)
		refused(t, []string{"damaged", "smsgw restore", "smsgw check"}, "serve", "--data", dir, "--listen", freeAddr(t))
	})
}
