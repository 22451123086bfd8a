package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"smsgw/app/apptest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	apptest.RemoveBinary()
	os.Exit(code)
}

func buildBinary(t *testing.T) string { return apptest.Binary(t) }

// serveProcess starts `smsgw serve --demo` on dir and addr with extra
// flags, and waits until it answers and has written its demo credentials.
func serveProcess(t *testing.T, bin, dir, addr string, extra ...string) *exec.Cmd {
	t.Helper()
	args := append([]string{"serve", "--demo", "--data", dir, "--listen", addr}, extra...)
	return startProcess(t, bin, "http://"+addr+"/healthz", filepath.Join(dir, demoFile), args...)
}

// startProcess runs the binary with args and waits until url answers and
// the file (if any) exists. The process is killed when the test ends if it
// still runs.
func startProcess(t *testing.T, bin, url, file string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if testing.Verbose() {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	apptest.Eventually(t, 20*time.Second, func() error {
		resp, err := http.Get(url)
		if err != nil {
			return fmt.Errorf("%v is not up: %w", args, err)
		}
		resp.Body.Close()
		if file == "" {
			return nil
		}
		_, err = os.Stat(file)
		return err
	})
	return cmd
}
