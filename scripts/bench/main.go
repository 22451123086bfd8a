// Command bench measures smsgw from the outside: load runs, the crash drill
// and the restore drill. It is not part of the production binary; it starts
// `smsgw serve` as a child process (so the server's CPU and memory are its
// own), drives it through the HTTP API, and reads a stopped server's
// database through package store.
//
//	go run ./scripts/bench load --messages 200000 --single 0 --rate 5500
//	go run ./scripts/bench crash-drill --kills 20
//	go run ./scripts/bench restore-drill --load 10s --rate 2000
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:          "bench",
		Short:        "Measure smsgw: load runs, crash and restore drills against a server run as a child process",
		SilenceUsage: true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(newLoadCmd(), newCrashDrillCmd(), newRestoreDrillCmd())
	return root
}

// binFlags adds --bin (and its older name --server-bin) to f.
func binFlags(f *pflag.FlagSet, bin *string) {
	f.StringVar(bin, "bin", "", "the smsgw binary to start (default: go build -o bin/smsgw . in the module first)")
	f.StringVar(bin, "server-bin", "", "the same as --bin")
	f.MarkHidden("server-bin")
}

// serverBinary returns bin, or builds bin/smsgw at the module's root and
// returns its path.
func serverBinary(ctx context.Context, bin string, progress io.Writer) (string, error) {
	if bin != "" {
		return filepath.Abs(bin)
	}
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the smsgw module: give the binary with --bin")
	}
	root := filepath.Dir(gomod)
	fmt.Fprintf(progress, "bench: building %s\n", filepath.Join(root, "bin", "smsgw"))
	build := exec.CommandContext(ctx, "go", "build", "-o", "bin/smsgw", ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return filepath.Join(root, "bin", "smsgw"), nil
}
