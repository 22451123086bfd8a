package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/app/apptest"
	"smsgw/store"
)

// The acceptance: with a file replica configured, 100 messages sent,
// 3 seconds of quiet, then kill -9 of the server, `smsgw restore` into a new
// folder yields a database holding all 100.
func TestRestoreAfterKill(t *testing.T) {
	bin := buildBinary(t)
	work := t.TempDir()
	dir, cfgPath := filepath.Join(work, "data"), filepath.Join(work, "litestream.yml")
	if err := os.WriteFile(cfgPath, []byte("dbs:\n  - path: data/smsgw.db\n    replica:\n      type: file\n      path: replica\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	srv := serveProcess(t, bin, dir, addr, "--litestream", cfgPath)
	info := readDemo(t, dir)
	c := &client{t: t, base: info.BaseURL, key: info.APIKey}
	ids := map[string]bool{}
	for i := range 100 {
		a := c.send(fmt.Sprintf("1380013%04d", i), fmt.Sprintf("【示例单位】第%d条", i))
		ids[a.Messages[0].ID] = true
	}
	var health struct {
		Replication struct {
			Healthy bool `json:"healthy"`
		} `json:"replication"`
	}
	time.Sleep(3 * time.Second)
	if c.do("GET", "/healthz", nil, &health); !health.Replication.Healthy {
		t.Errorf("health after 3 s of quiet: %+v; want replication healthy", health)
	}
	if err := srv.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	srv.Wait()

	restored := filepath.Join(work, "restored")
	out, err := exec.Command(bin, "restore", "--config", cfgPath, "--to", restored).CombinedOutput()
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	// Read through store, with the primary's key: the replica does not carry it.
	db, err := store.Open(context.Background(), store.Options{Path: filepath.Join(restored, store.DBFile), KeyPath: filepath.Join(dir, "secret.key")})
	if err != nil {
		t.Fatal(err)
	}
	list, next, err := db.FindMessages(context.Background(), &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}, app.MessageFilter{Limit: 1000})
	db.Close()
	if err != nil || len(list) != 100 || next != "" {
		t.Fatalf("restored database holds %d messages (%v); want 100", len(list), err)
	}
	for _, m := range list {
		if !ids[strconv.FormatInt(m.ID, 10)] {
			t.Errorf("restored message %d was not among those the API accepted", m.ID)
		}
	}

	if out, err := exec.Command(bin, "restore", "--config", cfgPath, "--to", restored).CombinedOutput(); err == nil || !strings.Contains(string(out), "already exists") {
		t.Errorf("a second restore into the same folder: %v %s; want a refusal", err, out)
	}
}

// The failover runbook, as the README gives it: a standby follows the
// primary's replica; the primary dies; promote; serve on the standby's folder.
func TestStandbyPromoteServe(t *testing.T) {
	bin := buildBinary(t)
	work := t.TempDir()
	dir, cfgPath := filepath.Join(work, "data"), filepath.Join(work, "litestream.yml")
	if err := os.WriteFile(cfgPath, []byte("dbs:\n  - replica:\n      type: file\n      path: replica\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	primary := serveProcess(t, bin, dir, freeAddr(t), "--litestream", cfgPath)
	info := readDemo(t, dir)
	c := &client{t: t, base: info.BaseURL, key: info.APIKey}
	var last string
	for i := range 5 {
		last = c.send(fmt.Sprintf("1380013%04d", i), "【示例单位】会议通知").Messages[0].ID
	}

	standbyDir, statusAddr := filepath.Join(work, "standby"), freeAddr(t)
	standby := startProcess(t, bin, "http://"+statusAddr+"/", "",
		"standby", "--config", cfgPath, "--data", standbyDir, "--listen", statusAddr, "--interval", "100ms")
	apptest.Eventually(t, 20*time.Second, func() error {
		if page := httpGet(t, "http://"+statusAddr+"/"); !strings.Contains(page, "<td>"+last+"</td>") {
			return fmt.Errorf("the standby page does not show message %s:\n%s", last, page)
		}
		return nil
	})
	if out, err := exec.Command(bin, "serve", "--data", standbyDir, "--listen", freeAddr(t)).CombinedOutput(); err == nil {
		t.Errorf("serve on a folder a standby follows started: %s", out)
	}

	primary.Process.Kill()
	primary.Wait()
	out, err := exec.Command(bin, "promote", "--data", standbyDir).CombinedOutput()
	if err != nil {
		t.Fatalf("promote: %v\n%s", err, out)
	}
	if err := standby.Wait(); err != nil {
		t.Errorf("the standby exited with %v after promote", err)
	}
	os.Link(filepath.Join(dir, "secret.key"), filepath.Join(standbyDir, "secret.key")) // the runbook's copy of the key
	addr := freeAddr(t)
	startProcess(t, bin, "http://"+addr+"/healthz", "", "serve", "--data", standbyDir, "--listen", addr)
	c.base = "http://" + addr
	var m messageAnswer
	if code := c.do("GET", "/api/v1/messages/"+last, nil, &m); code != 200 || m.ID != last {
		t.Fatalf("message %s on the promoted primary: HTTP %d %+v", last, code, m)
	}
	// The channels came with the database; here they point at the dead
	// primary's in-process simulators, so the new message waits queued.
	if a := c.send("13800139999", "【示例单位】切换后"); len(a.Messages) != 1 {
		t.Errorf("send on the promoted primary: %+v", a)
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// serve refuses a litestream.yml that names another database.
func TestReplicaConfigMustNameThisDatabase(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "litestream.yml")
	os.WriteFile(cfg, []byte("dbs:\n  - path: /elsewhere/other.db\n    replica:\n      type: file\n      path: replica\n"), 0o600)
	if _, err := loadReplicaConfig(cfg, filepath.Join(dir, "data")); err == nil || !strings.Contains(err.Error(), "/elsewhere/other.db") {
		t.Errorf("a config naming another database: %v; want a refusal naming it", err)
	}
	os.WriteFile(cfg, []byte("dbs:\n  - path: data/smsgw.db\n    replica:\n      type: file\n      path: replica\n"), 0o600)
	if _, err := loadReplicaConfig(cfg, filepath.Join(dir, "data")); err != nil {
		t.Errorf("a config naming this database, relative to the config: %v", err)
	}
}

// Item 3 of issue 13: a server started on an emptied data folder with
// --litestream refuses to replace the replica's data, says how to restore,
// and starts a new history only when told to.
func TestReplicaServeRefusesEmptyDatabaseOverReplica(t *testing.T) {
	bin := buildBinary(t)
	work := t.TempDir()
	dir, cfgPath := filepath.Join(work, "data"), filepath.Join(work, "litestream.yml")
	if err := os.WriteFile(cfgPath, []byte("dbs:\n  - replica:\n      type: file\n      path: replica\n      sync-interval: 100ms\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := serveProcess(t, bin, dir, freeAddr(t), "--litestream", cfgPath)
	info := readDemo(t, dir)
	c := &client{t: t, base: info.BaseURL, key: info.APIKey}
	for i := range 10 {
		c.send(fmt.Sprintf("1380013%04d", i), "【示例单位】会议通知")
	}
	apptest.Eventually(t, 20*time.Second, func() error { return replicaHolds(t, bin, cfgPath, work, 10) })
	srv.Process.Kill()
	srv.Wait()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(filepath.Join(dir, store.DBFile+suffix))
	}

	out, err := exec.Command(bin, "serve", "--data", dir, "--listen", freeAddr(t), "--litestream", cfgPath).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "smsgw restore") || !strings.Contains(string(out), "--new-replica") {
		t.Fatalf("serve on an emptied folder over a replica with 10 messages: %v\n%s\nwant a refusal naming smsgw restore and --new-replica", err, out)
	}
	if err := replicaHolds(t, bin, cfgPath, work, 10); err != nil {
		t.Errorf("after the refusal: %v", err)
	}
	addr := freeAddr(t)
	startProcess(t, bin, "http://"+addr+"/healthz", "", "serve", "--data", dir, "--listen", addr, "--litestream", cfgPath, "--new-replica")
}

// replicaHolds restores the replica into a new folder under work and
// checks it holds n messages.
func replicaHolds(t *testing.T, bin, cfgPath, work string, n int) error {
	t.Helper()
	to, err := os.MkdirTemp(work, "check-")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "restore", "--config", cfgPath, "--to", to, "--skip-check").CombinedOutput(); err != nil {
		return fmt.Errorf("restore: %v %s", err, out)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(to, store.DBFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got int
	if err := db.QueryRow(`select count(*) from messages`).Scan(&got); err != nil || got != n {
		return fmt.Errorf("the replica holds %d messages (%v); want %d", got, err, n)
	}
	return nil
}

// Items 2 and 4 of issue 13, the failover drill: a standby as far behind
// the replica as it gets, a burst on the primary, kill -9, promote. The
// promoted copy holds everything the replica held, and the new primary
// never hands out an id the old one did.
func TestReplicaPromoteCatchesUpAndReissuesNoIDs(t *testing.T) {
	bin := buildBinary(t)
	work := t.TempDir()
	dir, cfgPath := filepath.Join(work, "data"), filepath.Join(work, "litestream.yml")
	if err := os.WriteFile(cfgPath, []byte("dbs:\n  - replica:\n      type: file\n      path: replica\n      sync-interval: 100ms\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	primary := serveProcess(t, bin, dir, freeAddr(t), "--litestream", cfgPath)
	info := readDemo(t, dir)
	c := &client{t: t, base: info.BaseURL, key: info.APIKey}
	old := map[string]bool{} // every message and batch id the old primary gave
	send := func(i int, text string) string {
		a := c.send(fmt.Sprintf("1380013%04d", i), "【示例单位】"+text)
		old["b"+a.BatchID], old["m"+a.Messages[0].ID] = true, true
		return a.Messages[0].ID
	}
	var last string
	for i := range 5 {
		last = send(i, "会议通知")
	}
	apptest.Eventually(t, 20*time.Second, func() error { return replicaHolds(t, bin, cfgPath, work, 5) })

	standbyDir, statusAddr := filepath.Join(work, "standby"), freeAddr(t)
	standby := startProcess(t, bin, "http://"+statusAddr+"/", "",
		"standby", "--config", cfgPath, "--data", standbyDir, "--listen", statusAddr, "--interval", "1h")
	apptest.Eventually(t, 20*time.Second, func() error {
		if page := httpGet(t, "http://"+statusAddr+"/"); !strings.Contains(page, "<td>"+last+"</td>") {
			return fmt.Errorf("the standby page does not show message %s", last)
		}
		return nil
	})
	var burst []string
	for i := range 20 {
		burst = append(burst, send(100+i, "紧急通知"))
	}
	apptest.Eventually(t, 20*time.Second, func() error { return replicaHolds(t, bin, cfgPath, work, 25) })
	primary.Process.Kill()
	primary.Wait()

	out, err := exec.Command(bin, "promote", "--data", standbyDir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "caught up") || !strings.Contains(string(out), "new id epoch 1") {
		t.Fatalf("promote: %v\n%s\nwant it to say it caught up and started id epoch 1", err, out)
	}
	standby.Wait()
	os.Link(filepath.Join(dir, "secret.key"), filepath.Join(standbyDir, "secret.key"))
	addr := freeAddr(t)
	startProcess(t, bin, "http://"+addr+"/healthz", "", "serve", "--data", standbyDir, "--listen", addr)
	c.base = "http://" + addr
	for _, id := range burst {
		var m messageAnswer
		if code := c.do("GET", "/api/v1/messages/"+id, nil, &m); code != 200 || m.ID != id {
			t.Errorf("burst message %s on the promoted primary: HTTP %d %+v; the replica held it", id, code, m)
		}
	}
	for i := range 5 {
		a := c.send(fmt.Sprintf("1390013%04d", i), "【示例单位】切换后")
		if old["b"+a.BatchID] || old["m"+a.Messages[0].ID] {
			t.Errorf("the promoted primary handed out batch %s / message %s again", a.BatchID, a.Messages[0].ID)
		}
	}
}
