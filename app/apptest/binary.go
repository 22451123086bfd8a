package apptest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The smsgw binary, built once per test process for the tests that run it
// as a process (to kill it, or to check what a user types).
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Binary builds the smsgw binary (the module's main package) once and
// returns its path. It skips under -short.
func Binary(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("builds the smsgw binary")
	}
	binary.once.Do(func() {
		if binary.dir, binary.err = os.MkdirTemp("", "smsgw-bin-"); binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "smsgw")
		if out, err := exec.Command("go", "build", "-o", binary.path, "smsgw").CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		tb.Fatal(binary.err)
	}
	return binary.path
}

// RemoveBinary deletes what Binary built; TestMain calls it after m.Run.
func RemoveBinary() {
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
}
