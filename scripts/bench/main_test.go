package main

import (
	"bytes"
	"io"
	"os"
	"testing"

	"smsgw/app/apptest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	apptest.RemoveBinary()
	os.Exit(code)
}

func buildBinary(t *testing.T) string { return apptest.Binary(t) }

// runCLI runs bench with args and returns what it printed on stdout.
func runCLI(args ...string) (string, error) {
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(io.Discard)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}
