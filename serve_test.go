package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serve on a listen address that is taken returns the error at once
// instead of running on without HTTP.
func TestServeFailsOnTakenAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		_, err := runCLI("serve", "--data", t.TempDir(), "--listen", ln.Addr().String())
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "address already in use") {
			t.Errorf("serve on a taken address: %v; want the listen error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve on a taken address still runs after 30 s")
	}
}

// When a listener the program serves on fails after the start, the whole
// program stops (the API too) and wait returns that failure.
func TestServeStopsWhenAListenerFails(t *testing.T) {
	p, err := start(context.Background(), config{Data: t.TempDir(), Listen: "127.0.0.1:0", PprofAddr: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	url := p.server.URL() + "/healthz"
	if resp, err := http.Get(url); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	p.pprof.ln.Close() // the profiler's listener fails
	done := make(chan error, 1)
	go func() { done <- p.wait(context.Background()) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "pprof") {
			t.Errorf("wait: %v; want the profiler's failure", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the program still runs 30 s after a listener failed")
	}
	if resp, err := http.Get(url); err == nil {
		resp.Body.Close()
		t.Errorf("the API still answers after the program stopped")
	}
}

// A clean stop exits cleanly even while a profile is being taken: the
// profiler is cut, it neither fails the exit nor holds the engine's drain.
func TestServeStopsCleanlyDuringAProfile(t *testing.T) {
	p, err := start(context.Background(), config{Data: t.TempDir(), Listen: "127.0.0.1:0", PprofAddr: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	profile := make(chan struct{})
	go func() {
		defer close(profile)
		if resp, err := http.Get("http://" + p.pprof.ln.Addr().String() + "/debug/pprof/profile?seconds=20"); err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(200 * time.Millisecond) // let the profile start; its end is not awaited
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() { done <- p.wait(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("a clean stop during a profile: %v; want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the program still runs 30 s after it was told to stop")
	}
	<-profile
}
