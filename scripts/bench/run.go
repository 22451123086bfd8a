package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// benchResult is the JSON line `bench load` prints.
type benchResult struct {
	Messages      int     `json:"messages"`
	Accepted      int     `json:"accepted"`
	Rejected      int     `json:"rejected"`
	CallsFailed   int     `json:"calls_failed"`
	Delivered     int     `json:"delivered"`
	Failed        int     `json:"failed"`
	AcceptedPerS  float64 `json:"accepted_per_s"`
	SubmittedPerS float64 `json:"submitted_per_s"`
	DeliveredPerS float64 `json:"delivered_per_s"`
	AcceptP50MS   float64 `json:"accept_p50_ms"`
	AcceptP99MS   float64 `json:"accept_p99_ms"`
	E2EP50MS      float64 `json:"e2e_p50_ms"`
	E2EP99MS      float64 `json:"e2e_p99_ms"`
	Lost          int     `json:"lost"`
	// Null when they cannot be measured (a remote server without simulators).
	DuplicatesAtSMSC *int64     `json:"duplicates_at_smsc"`
	CPUMsPerMsg      *float64   `json:"cpu_ms_per_msg"`
	PeakRSSMB        *float64   `json:"peak_rss_mb"`
	DBMB             *float64   `json:"db_mb"`
	Rows             int        `json:"rows"` // messages found in the run's time window
	Samples          []sample   `json:"samples,omitempty"`
	Import           *importRun `json:"import,omitempty"` // --import-rows
}

// sample is one look at the server during a long run.
type sample struct {
	AtS        float64 `json:"at_s"`
	Accepted   int64   `json:"accepted"`
	RSSMB      float64 `json:"rss_mb"`
	DBMB       float64 `json:"db_mb"`
	ListMS     float64 `json:"list_ms"`      // newest 50 messages
	ByNumberMS float64 `json:"by_number_ms"` // one number's messages
	StatusMS   float64 `json:"status_ms"`    // newest 50 delivered
}

type health struct {
	Process *struct {
		CPUMS     int64   `json:"cpu_ms"`
		PeakRSSMB float64 `json:"peak_rss_mb"`
		RSSMB     float64 `json:"rss_mb"`
	} `json:"process"`
	DBMB *float64 `json:"db_mb"`
}

// sent is one message the API accepted and when its call started.
type sent struct {
	id    int64
	start time.Time
}

const benchShort = "【示例单位】您好，明天上午九点在三楼会议室召开工作例会，请准时参加。"

// benchLong is a 500-character message: 8 UCS2 segments.
var benchLong = "【示例单位】" + longBody()

func longBody() string {
	const unit = "关于做好年度工作总结的通知请各部门按时报送材料谢谢"
	r := []rune(strings.Repeat(unit, 25))
	return string(r[:500-len([]rune("【示例单位】"))])
}

func runBench(ctx context.Context, o benchOptions, t *target, progress io.Writer) (*benchResult, error) {
	calls := planCalls(o)
	res := &benchResult{Messages: o.Messages}
	var before health
	if _, err := benchCall(ctx, t, "GET", "/healthz", nil, &before); err != nil {
		return nil, fmt.Errorf("health: %w", err)
	}
	_, dupsBefore, simsOK := t.simStats()

	fmt.Fprintf(progress, "bench: %d messages to %s, %d clients, %d calls (batches of %d, %.0f%% single-number, %.0f%% long), rate %d/s (0: unlimited)\n",
		o.Messages, t.base, o.Clients, len(calls), o.Batch, o.Single*100, o.Long*100, o.Rate)
	since := time.Now().Add(-time.Second)
	work := make(chan benchCallPlan)
	var (
		mu        sync.Mutex
		accepted  []sent
		latencies []time.Duration
		rejected  atomic.Int64
		failed    atomic.Int64
		done      atomic.Int64
		wg        sync.WaitGroup
	)
	start := time.Now()
	imported := make(chan importRun, 1)
	if o.ImportRows > 0 {
		go func() { imported <- runImport(ctx, t, o.ImportRows, progress) }()
	}
	stopSampling := make(chan struct{})
	samplingDone := make(chan []sample, 1)
	go func() { samplingDone <- samples(ctx, t, o.Sample, start, &done, stopSampling, progress) }()
	stopProgress := make(chan struct{})
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-tick.C:
				n := done.Load()
				fmt.Fprintf(progress, "bench: accepted %d of %d (%.0f/s)\n", n, o.Messages, float64(n)/time.Since(start).Seconds())
			}
		}
	}()
	for range o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []sent
			var lat []time.Duration
			for c := range work {
				began := time.Now()
				ids, rej, err := postMessages(ctx, t, c)
				lat = append(lat, time.Since(began))
				if err != nil {
					failed.Add(1)
					fmt.Fprintf(progress, "bench: call failed: %v\n", err)
					continue
				}
				rejected.Add(int64(rej))
				for _, id := range ids {
					mine = append(mine, sent{id, began})
				}
				done.Add(int64(len(ids)))
			}
			mu.Lock()
			accepted, latencies = append(accepted, mine...), append(latencies, lat...)
			mu.Unlock()
		}()
	}
	offered := 0
	for _, c := range calls {
		if o.Rate > 0 { // open loop: call i goes when its messages are due
			time.Sleep(time.Until(start.Add(time.Duration(float64(offered) / float64(o.Rate) * float64(time.Second)))))
		}
		offered += c.n
		select {
		case work <- c:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	acceptedIn := time.Since(start)
	close(stopProgress)
	res.Accepted, res.Rejected, res.CallsFailed = len(accepted), int(rejected.Load()), int(failed.Load())
	res.AcceptedPerS = float64(res.Accepted) / acceptedIn.Seconds()
	slices.Sort(latencies)
	res.AcceptP50MS, res.AcceptP99MS = ms(percentile(latencies, 0.50)), ms(percentile(latencies, 0.99))
	fmt.Fprintf(progress, "bench: %d accepted in %.1f s (%.0f/s), %d rejected, %d calls failed; waiting for final statuses\n",
		res.Accepted, acceptedIn.Seconds(), res.AcceptedPerS, res.Rejected, res.CallsFailed)

	if o.ImportRows > 0 {
		run := <-imported
		res.Import = &run
	}
	if err := waitQuiet(ctx, t, res.Accepted, o.Timeout); err != nil {
		fmt.Fprintf(progress, "bench: %v\n", err)
	}
	if err := waitFinal(ctx, t, since, o.Timeout, progress); err != nil {
		fmt.Fprintf(progress, "bench: %v\n", err)
	}
	close(stopSampling)
	res.Samples = <-samplingDone
	var after health
	if _, err := benchCall(ctx, t, "GET", "/healthz", nil, &after); err == nil && after.Process != nil && before.Process != nil {
		cpu := float64(after.Process.CPUMS-before.Process.CPUMS) / float64(max(res.Accepted, 1))
		res.CPUMsPerMsg, res.PeakRSSMB, res.DBMB = &cpu, &after.Process.PeakRSSMB, after.DBMB
	}
	if _, dups, ok := t.simStats(); ok && simsOK {
		d := dups - dupsBefore
		res.DuplicatesAtSMSC = &d
	}
	return res, scanResults(ctx, t, since, start, accepted, res)
}

// samples looks at the server every interval until stop.
func samples(ctx context.Context, t *target, every time.Duration, start time.Time, accepted *atomic.Int64, stop chan struct{}, progress io.Writer) []sample {
	if every <= 0 {
		return nil
	}
	var out []sample
	tick := time.NewTicker(every)
	defer tick.Stop()
	timed := func(path string) float64 {
		began := time.Now()
		if _, err := benchCall(ctx, t, "GET", path, nil, nil); err != nil {
			return -1
		}
		return ms(time.Since(began))
	}
	for {
		select {
		case <-stop:
			return out
		case <-tick.C:
		}
		var h health
		if _, err := benchCall(ctx, t, "GET", "/healthz", nil, &h); err != nil || h.Process == nil {
			continue
		}
		s := sample{AtS: time.Since(start).Seconds(), Accepted: accepted.Load(), RSSMB: h.Process.RSSMB,
			ListMS: timed("/api/v1/messages?limit=50"), ByNumberMS: timed("/api/v1/messages?limit=50&to=13900000007"),
			StatusMS: timed("/api/v1/messages?limit=50&status=delivered")}
		if h.DBMB != nil {
			s.DBMB = *h.DBMB
		}
		out = append(out, s)
		fmt.Fprintf(progress, "bench: sample at %.0f s: %d accepted, server RSS %.0f MB, database %.0f MB, listing %.1f ms, by number %.1f ms, by status %.1f ms\n",
			s.AtS, s.Accepted, s.RSSMB, s.DBMB, s.ListMS, s.ByNumberMS, s.StatusMS)
	}
}

// benchCallPlan is one API call: the first message index and how many.
type benchCallPlan struct {
	first, n int
	long     bool
}

// planCalls splits the messages into single-number and batch calls, mixed
// in a fixed pseudo-random order so both kinds run side by side.
func planCalls(o benchOptions) []benchCallPlan {
	singles := int(float64(o.Messages) * o.Single)
	var calls []benchCallPlan
	for i := 0; i < singles; i++ {
		calls = append(calls, benchCallPlan{first: i, n: 1})
	}
	for i := singles; i < o.Messages; i += o.Batch {
		calls = append(calls, benchCallPlan{first: i, n: min(o.Batch, o.Messages-i)})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(calls), func(i, j int) { calls[i], calls[j] = calls[j], calls[i] })
	// Long messages: whole calls, by message count, spread over the run.
	want, got := int(float64(o.Messages)*o.Long), 0
	for i := range calls {
		if got < want && float64(got)/float64(o.Messages) <= float64(i)/float64(len(calls))*o.Long+1e-9 {
			calls[i].long = true
			got += calls[i].n
		}
	}
	return calls
}

func postMessages(ctx context.Context, t *target, c benchCallPlan) ([]int64, int, error) {
	to := make([]string, c.n)
	for i := range to {
		to[i] = fmt.Sprintf("139%08d", (c.first+i)%100000000)
	}
	content := benchShort
	if c.long {
		content = benchLong
	}
	body, _ := json.Marshal(map[string]any{"to": to, "content": content})
	var answer struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
		Rejected []json.RawMessage `json:"rejected"`
	}
	code, err := benchCall(ctx, t, "POST", "/api/v1/messages", body, &answer)
	if err != nil {
		return nil, 0, err
	}
	if code != http.StatusAccepted {
		return nil, 0, fmt.Errorf("HTTP %d", code)
	}
	ids := make([]int64, 0, len(answer.Messages))
	for _, m := range answer.Messages {
		id, err := strconv.ParseInt(m.ID, 10, 64)
		if err != nil {
			return nil, 0, fmt.Errorf("message id %q", m.ID)
		}
		ids = append(ids, id)
	}
	return ids, len(answer.Rejected), nil
}

// waitQuiet waits, cheaply, until the simulators have taken at least one
// part per accepted message and have every receipt answered (the server
// answers a receipt once stored). waitFinal then confirms through the API.
// It returns at once for a server whose simulators are not known.
func waitQuiet(ctx context.Context, t *target, accepted int, timeout time.Duration) error {
	if t.simDone == nil {
		return nil
	}
	for deadline := time.Now().Add(timeout); ; {
		if got, _, _ := t.simStats(); got >= int64(accepted) && t.simDone() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the simulators were still busy after %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// waitFinal waits until no message since then is on its way.
func waitFinal(ctx context.Context, t *target, since time.Time, timeout time.Duration, progress io.Writer) error {
	deadline := time.Now().Add(timeout)
	lastReport := time.Now()
	for {
		pending := 0
		for _, s := range []string{"accepted", "queued", "submitting", "submitted"} {
			var page struct {
				Items []json.RawMessage `json:"items"`
			}
			q := url.Values{"status": {s}, "limit": {"1"}, "since": {since.Format(time.RFC3339Nano)}}
			if _, err := benchCall(ctx, t, "GET", "/api/v1/messages?"+q.Encode(), nil, &page); err != nil {
				return err
			}
			if len(page.Items) > 0 {
				pending++
				if time.Since(lastReport) > time.Second {
					fmt.Fprintf(progress, "bench: messages still %s\n", s)
					lastReport = time.Now()
				}
				break
			}
		}
		if pending == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("messages still on their way after %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second): // each look scans the table: not too often
		}
	}
}

// scanResults reads every message since then back through the API and
// fills in the rates, the end-to-end times and the count of lost messages:
// accepted but missing, or not final.
func scanResults(ctx context.Context, t *target, since, start time.Time, accepted []sent, res *benchResult) error {
	type row struct{ submitted, done time.Time }
	rows := make(map[int64]row, len(accepted))
	var lastSubmit, lastDone time.Time
	cursor := ""
	for {
		var page struct {
			Items []struct {
				ID          string `json:"id"`
				Status      string `json:"status"`
				SubmittedAt string `json:"submitted_at"`
				DoneAt      string `json:"done_at"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		q := url.Values{"limit": {"1000"}, "since": {since.Format(time.RFC3339Nano)}, "cursor": {cursor}}
		if _, err := benchCall(ctx, t, "GET", "/api/v1/messages?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		for _, m := range page.Items {
			id, _ := strconv.ParseInt(m.ID, 10, 64)
			var r row
			r.submitted, _ = time.Parse(time.RFC3339Nano, m.SubmittedAt)
			if m.Status == "delivered" || m.Status == "undelivered" || m.Status == "failed" || m.Status == "expired" || m.Status == "rejected" {
				r.done, _ = time.Parse(time.RFC3339Nano, m.DoneAt)
				if m.Status == "delivered" {
					res.Delivered++
				} else {
					res.Failed++
				}
			}
			rows[id] = r
			res.Rows++
			if r.submitted.After(lastSubmit) {
				lastSubmit = r.submitted
			}
			if r.done.After(lastDone) {
				lastDone = r.done
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	var e2e []time.Duration
	for _, s := range accepted {
		r, ok := rows[s.id]
		if !ok || r.done.IsZero() {
			res.Lost++
			continue
		}
		e2e = append(e2e, r.done.Sub(s.start))
	}
	slices.Sort(e2e)
	res.E2EP50MS, res.E2EP99MS = ms(percentile(e2e, 0.50)), ms(percentile(e2e, 0.99))
	if d := lastSubmit.Sub(start).Seconds(); d > 0 {
		res.SubmittedPerS = float64(res.Accepted) / d
	}
	if d := lastDone.Sub(start).Seconds(); d > 0 {
		res.DeliveredPerS = float64(res.Delivered) / d
	}
	return nil
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

var benchHTTP = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: time.Minute}

func benchCall(ctx context.Context, t *target, method, path string, body []byte, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, t.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+t.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := benchHTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
	}
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

func freeLoopback() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func splitHostPort(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	p, err := strconv.Atoi(port)
	return host, p, err
}
