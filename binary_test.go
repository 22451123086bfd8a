package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"smsgw/app/apptest"
)

// The smsgw binary, built once for the tests that run it as a process (to
// kill it, or to check what a user types).
var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "smsgw-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "smsgw")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

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
